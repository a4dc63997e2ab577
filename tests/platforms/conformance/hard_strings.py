"""One shared table of hard strings for every platform's text rules.

Each is a case where counting by code points, UTF-16 units or bytes gives another answer than
a platform that counts what a reader sees, or where a platform counts something specially
(URLs, handles). Every kit says what its platform makes of each.
"""
HARD_STRINGS = {
    "ascii": "Thanks for waiting",
    "zwj_family": "👨‍👩‍👧‍👦",  # one grapheme, 7 code points, 25 bytes
    "zwj_profession": "👩🏽‍🚒",  # skin tone + ZWJ + fire engine
    "flags": "🇩🇪🇯🇵🇺🇸",  # regional-indicator pairs: 3 graphemes, 6 code points
    "skin_tones": "👍🏻👍🏿",
    "combining": "e\u0301e\u0301 n\u0303",  # é é ñ written with combining marks
    "cjk": "東京の天気は晴れです",
    "rtl": "שלום עולם مرحبا",
    "keycap": "1\ufe0f\u20e3#\ufe0f\u20e3",
    "url": "see https://support.example.com/orders/12345?ref=social",
    "bare_domain": "see example.com/help",
    "handle": "@jane hello",
}
