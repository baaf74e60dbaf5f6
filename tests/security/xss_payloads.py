"""Cross-site scripting payloads, grouped by the trick they try (issue 16, item 3).

Each group goes through every user-entered text, rich-text and link field of the market and through
the query strings that pages echo back; `tests/security/test_xss.py` renders the pages and fails on
anything executable. Full-width and Chinese-punctuation variants are here because Chinese input
methods produce them and some normalisers (NFKC, OpenCC) turn them back into ASCII markup.
"""

from __future__ import annotations

# Every stored value starts with this, so a test can count how many poisoned values a page shows.
MARKER = "xssprobe"

PAYLOAD_GROUPS: dict[str, tuple[str, ...]] = {
    "script": (
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "</title><script>alert(document.domain)</script>",
        "</textarea><script>alert(1)</script>",
        '</script><script>alert("breakout")</script>',
        "<script\x00>alert(1)</script>",
        "<!--<script>alert(1)//-->",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    ),
    "attribute": (
        '"><img src=x onerror=alert(1)>',
        "' onmouseover='alert(1)",
        '" onfocus="alert(1)" autofocus="',
        "<img src=x onerror=alert(1)//",
        "<body onload=alert(1)>",
        '<input autofocus onfocus="alert(1)">',
        "<details open ontoggle=alert(1)>",
        '<a href="#" onclick="alert(1)">点我</a>',
        "<video><source onerror=alert(1)></video>",
        "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    ),
    "url": (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        " \tjavascript:alert(1)",
        "java\tscript:alert(1)",
        '<a href="javascript:alert(1)">成果详情</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">提交</button></form>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<base href="//evil.example/">',
    ),
    "svg-frames": (
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">点击</text></a></svg>',
        '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        '<iframe src="javascript:alert(1)"></iframe>',
        '<object data="data:text/html,<script>alert(1)</script>"></object>',
        '<embed src="javascript:alert(1)">',
        '<link rel="import" href="//evil.example/x.html">',
    ),
    "template-css": (
        "{{7*7}}",
        "{% debug %}",
        "{{ request.user.password }}",
        "${7*7}<%= 7*7 %>",
        "{{constructor.constructor('alert(1)')()}}",
        "<style>body{background:url(javascript:alert(1))}</style>",
        '<div style="width: expression(alert(1))">x</div>',
        "<style>@import 'javascript:alert(1)';</style>",
    ),
    "encoded": (
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
        "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
        "<scr\x00ipt>alert(1)</scr\x00ipt>",
        "\u202e<script>alert(1)</script>\u202c",
        "<img src=`x` onerror=alert(1)>",
        "<<script>script>alert(1)<</script>/script>",
        "\r\nBEGIN:VEVENT\r\nSUMMARY:注入<script>alert(1)</script>\r\nEND:VEVENT\r\n",
    ),
    "full-width": (
        "＜script＞alert(1)＜/script＞",
        "＂＞＜img src=x onerror=alert(1)＞",
        "＇ onmouseover＝＇alert(1)",
        "ｊａｖａｓｃｒｉｐｔ：alert(1)",
        "＜svg onload＝alert(1)＞",
        "\uff1cscript\uff1e\u0061lert(1)\uff1c/script\uff1e",
    ),
    "chinese-punctuation": (
        "“》<script>alert('成果')</script>《”",
        "【<img src=x onerror=alert(1)>】",
        "「\"><svg onload=alert('需求')>」",
        "（'）；alert(1)；//",
        "《锂电池》<a href=\"javascript:alert('转化')\">详情</a>，",
        "、</p><script>alert('中试')</script><p>。",
        "“onmouseover=alert(1) x=”",
        "——<iframe src=javascript:alert('路演')></iframe>……",
    ),
    "long": (
        "高" * 3000 + "<script>alert(1)</script>",
        "<div>" * 400 + "<script>alert(1)</script>" + "</div>" * 400,
        ('"><img src=x onerror=alert(1)>' * 60),
    ),
}

ALL_PAYLOADS: tuple[str, ...] = tuple(p for group in PAYLOAD_GROUPS.values() for p in group)

# Short payloads for fields of a few dozen characters and for query strings.
SHORT_PAYLOADS: tuple[str, ...] = tuple(p for p in ALL_PAYLOADS if len(p) <= 120)

# Link fields must refuse these outright (validators), whatever the form or API.
DANGEROUS_URLS: tuple[str, ...] = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    " javascript:alert(1)",
)

# Link values a URL validator accepts but that try to break out of the href attribute.
URL_BREAKOUTS: tuple[str, ...] = (
    'https://evil.example/"><script>alert(1)</script>',
    "https://evil.example/'onmouseover='alert(1)",
    'https://evil.example/"onclick="alert(1)',
)
