"""Enterprise technical demands (企业技术需求), open challenges and pooled R&D procurement."""
