"""Achievement library (成果库): research results offered for transfer."""
