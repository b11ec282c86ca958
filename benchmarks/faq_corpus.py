"""A 1,000-entry FAQ for benchmarks and the calibration test: the real 45 plus generated ones.

The generated entries are about the city hall's other systems and paperwork, built from the
same kind of words as the real FAQ (共有, Excel, 申請, 期限 …), so they compete with it the way
a grown FAQ would. Deterministic: the same n gives the same entries.
"""

from __future__ import annotations

import random

from bot.faq.entry import FaqEntry, seed_entries

SYSTEMS = ["文書管理システム", "財務会計システム", "庶務事務システム", "住民情報システム", "電子決裁",
           "グループウェア", "Access", "Excel", "電子申請システム", "施設予約システム", "GIS", "公開型地図",
           "人事給与システム", "議会中継システム", "ホームページ作成ツール", "RPA", "AI-OCR", "電子入札"]
OBJECTS = ["台帳", "起案文書", "支出命令", "出勤簿", "旅費申請", "名簿", "議事録", "予約枠", "地図データ",
           "様式", "帳票", "統計表", "申請データ", "公開ページ", "バックアップ", "マスタ", "アカウント",
           "操作ログ", "パスワードポリシー", "共有フォルダ"]
ACTIONS = [("作成", "作る"), ("修正", "直す"), ("削除", "消す"), ("印刷", "印刷する"), ("集計", "まとめる"),
           ("出力", "書き出す"), ("取り込み", "読み込む"), ("承認", "承認する"), ("検索", "探す"),
           ("移行", "移す"), ("共有", "共有する"), ("確認", "確かめる")]


def generated_entries(count: int, *, seed: int = 5) -> list[FaqEntry]:
    """`count` distinct generated entries."""
    rng = random.Random(seed)
    combos = [(s, o, a) for s in SYSTEMS for o in OBJECTS for a in ACTIONS]
    rng.shuffle(combos)
    out = []
    for number, (system, obj, (noun, verb)) in enumerate(combos[:count], start=1):
        out.append(FaqEntry(
            f"GEN-{number:04d}",
            f"{system}で{obj}を{noun}するには？",
            (f"{system}の{obj}を{verb}方法", f"{obj}の{noun}が{system}でできない"),
            f"{system}の［{obj}］画面から［{noun}］を選びます。権限がない場合は所管課に申請してください。",
            "その他", f"{system},{obj}", None,  # a category the FAQ list accepts
        ))
    return out


def padded_faq(total: int) -> list[FaqEntry]:
    """The real FAQ plus generated entries, `total` in all."""
    real = seed_entries()
    return real + generated_entries(total - len(real))
