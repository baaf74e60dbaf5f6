import pytest
from django.core.exceptions import ValidationError

from marketplace.validators import inspect_upload, uscc_check_character, validate_uscc
from tests.files import forged_pdf_upload, pdf_upload, png_bytes, upload


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the worked example of GB 32100-2015
        "91110000600037341L",
        "12100000400000624D",
    ],
)
def test_validate_uscc_accepts_published_codes(code):
    validate_uscc(code)


def test_validate_uscc_accepts_lowercase_and_spaces():
    validate_uscc(" 91350100m000100y43 ")


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91350100M000100Y44", "uscc_check"),
        ("91350100M000100Y4", "uscc_format"),
        ("91350100M0001I0Y43", "uscc_format"),  # I is not in the alphabet
        ("9135A100M000100Y43", "uscc_region"),
        ("", "uscc_format"),
    ],
)
def test_validate_uscc_rejects_bad_codes_with_chinese_message(code, error_code):
    with pytest.raises(ValidationError) as caught:
        validate_uscc(code)
    assert caught.value.code == error_code
    assert "统一社会信用代码" in str(caught.value.messages[0])


def test_uscc_check_character_matches_the_standard_example():
    assert uscc_check_character("91350100M000100Y4") == "3"


def test_inspect_upload_accepts_a_real_pdf_and_png():
    assert inspect_upload(pdf_upload(), allowed_kinds=("pdf",), max_bytes=10_000) == "pdf"
    assert inspect_upload(upload("a.png", png_bytes(), "image/png"), allowed_kinds=("png",), max_bytes=10_000) == "png"


def test_inspect_upload_refuses_a_renamed_executable():
    with pytest.raises(ValidationError) as caught:
        inspect_upload(forged_pdf_upload(), allowed_kinds=("pdf", "png"), max_bytes=10_000)
    assert caught.value.code == "file_kind"
    assert "按文件内容判断" in caught.value.messages[0]


def test_inspect_upload_refuses_a_pdf_header_on_garbage():
    with pytest.raises(ValidationError) as caught:
        inspect_upload(upload("x.pdf", b"%PDF-1.7\n" + b"garbage" * 50), allowed_kinds=("pdf",), max_bytes=10_000)
    assert caught.value.code == "file_corrupt"


def test_inspect_upload_refuses_limit_plus_one_byte():
    content = pdf_upload().read()
    with pytest.raises(ValidationError) as caught:
        inspect_upload(upload("big.pdf", content), allowed_kinds=("pdf",), max_bytes=len(content) - 1)
    assert caught.value.code == "too_large"
    assert "上限" in caught.value.messages[0]


def test_inspect_upload_refuses_an_empty_file():
    with pytest.raises(ValidationError) as caught:
        inspect_upload(upload("empty.pdf", b""), allowed_kinds=("pdf",), max_bytes=10_000)
    assert caught.value.code == "empty"


def test_inspect_upload_refuses_a_decompression_bomb():
    bomb = png_bytes(size=(8000, 6000))  # 48 megapixels of one colour compress to a few KB
    with pytest.raises(ValidationError) as caught:
        inspect_upload(upload("bomb.png", bomb, "image/png"), allowed_kinds=("png",), max_bytes=10_000_000)
    assert caught.value.code == "image_pixels"
