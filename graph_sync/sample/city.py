"""The shape of a synthetic mid-sized city hall: bureaus, sections, names, courses.

Everything here is invented; it only has to look and behave like the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass

# 12 bureaus (部局) and their sections (課): 100 sections in all. Weights are relative head counts.
BUREAUS: dict[str, tuple[str, ...]] = {
    "総務局": ("総務課", "人事課", "職員課", "行政経営課", "デジタル行政戦略課", "情報政策課",
             "文書法務課", "危機管理課", "契約課"),
    "財政局": ("財政課", "税務課", "市民税課", "資産税課", "納税課", "管財課", "会計課"),
    "市民局": ("市民協働推進課", "市民課", "戸籍住民課", "国際交流課", "男女共同参画課",
             "文化政策課", "スポーツ振興課", "市民相談課", "窓口サービス課"),
    "福祉局": ("福祉政策課", "障害福祉課", "介護保険課", "高齢者福祉課", "生活支援課",
             "子育て支援課", "保育幼稚園課", "こども相談課", "国民健康保険課"),
    "保健局": ("保健政策課", "健康推進課", "保健所総務課", "感染症対策課", "生活衛生課",
             "食品衛生課", "動物愛護センター"),
    "環境局": ("環境政策課", "ごみ減量推進課", "環境保全課", "清掃事業課", "リサイクル推進課",
             "脱炭素推進課", "環境衛生センター"),
    "経済局": ("経済政策課", "商工振興課", "観光政策課", "農業振興課", "林業水産課",
             "産業立地課", "労働政策課", "中央卸売市場"),
    "都市整備局": ("都市計画課", "住宅政策課", "建築指導課", "市街地整備課", "景観政策課",
               "公園緑地課", "交通政策課", "開発審査課", "営繕課"),
    "土木局": ("土木管理課", "道路建設課", "道路維持課", "河川課", "下水道計画課",
             "用地課", "橋りょう課", "土木事務所"),
    "消防局": ("消防総務課", "警防課", "予防課", "救急課", "指令課", "消防署",
             "消防学校"),
    "教育委員会事務局": ("教育総務課", "学校指導課", "教職員課", "学校施設課", "生涯学習課",
                   "文化財保護課", "図書館", "教育支援センター", "学校給食課"),
    "上下水道局": ("経営企画課", "営業課", "給水課", "浄水課", "下水道管理課", "水質管理センター",
              "上下水道総務課", "配水課", "料金課", "施設管理課", "水道技術課"),
}

# The section that runs the programme (DOMAIN.md: デジタル行政戦略課).
DX_DIVISION = ("総務局", "デジタル行政戦略課")


@dataclass(frozen=True, slots=True)
class NamePart:
    """A surname or given name: kanji, katakana reading and romaji for the mail address."""

    kanji: str
    kana: str
    romaji: str


def _parts(spec: str) -> tuple[NamePart, ...]:
    out = []
    for entry in spec.split():
        kanji, kana, romaji = entry.split(":")
        out.append(NamePart(kanji, kana, romaji))
    return tuple(out)


# Common Japanese surnames, roughly in order of frequency.
SURNAMES = _parts("""
佐藤:サトウ:sato 鈴木:スズキ:suzuki 高橋:タカハシ:takahashi 田中:タナカ:tanaka 伊藤:イトウ:ito
渡辺:ワタナベ:watanabe 山本:ヤマモト:yamamoto 中村:ナカムラ:nakamura 小林:コバヤシ:kobayashi
加藤:カトウ:kato 吉田:ヨシダ:yoshida 山田:ヤマダ:yamada 佐々木:ササキ:sasaki 山口:ヤマグチ:yamaguchi
松本:マツモト:matsumoto 井上:イノウエ:inoue 木村:キムラ:kimura 林:ハヤシ:hayashi 斎藤:サイトウ:saito
清水:シミズ:shimizu 山崎:ヤマザキ:yamazaki 森:モリ:mori 池田:イケダ:ikeda 橋本:ハシモト:hashimoto
阿部:アベ:abe 石川:イシカワ:ishikawa 山下:ヤマシタ:yamashita 中島:ナカジマ:nakajima 石井:イシイ:ishii
小川:オガワ:ogawa 前田:マエダ:maeda 岡田:オカダ:okada 長谷川:ハセガワ:hasegawa 藤田:フジタ:fujita
後藤:ゴトウ:goto 近藤:コンドウ:kondo 村上:ムラカミ:murakami 遠藤:エンドウ:endo 青木:アオキ:aoki
坂本:サカモト:sakamoto 斉藤:サイトウ:saito 福田:フクダ:fukuda 太田:オオタ:ota 西村:ニシムラ:nishimura
藤井:フジイ:fujii 金子:カネコ:kaneko 岡本:オカモト:okamoto 藤原:フジワラ:fujiwara 中野:ナカノ:nakano
三浦:ミウラ:miura 原田:ハラダ:harada 中川:ナカガワ:nakagawa 松田:マツダ:matsuda 竹内:タケウチ:takeuchi
小野:オノ:ono 田村:タムラ:tamura 中山:ナカヤマ:nakayama 和田:ワダ:wada 石田:イシダ:ishida
森田:モリタ:morita 上田:ウエダ:ueda 原:ハラ:hara 内田:ウチダ:uchida 柴田:シバタ:shibata
酒井:サカイ:sakai 宮崎:ミヤザキ:miyazaki 横山:ヨコヤマ:yokoyama 高木:タカギ:takagi 安藤:アンドウ:ando
宮本:ミヤモト:miyamoto 大野:オオノ:ono 小島:コジマ:kojima 谷口:タニグチ:taniguchi 今井:イマイ:imai
工藤:クドウ:kudo 高田:タカダ:takada 増田:マスダ:masuda 丸山:マルヤマ:maruyama 杉山:スギヤマ:sugiyama
村田:ムラタ:murata 大塚:オオツカ:otsuka 新井:アライ:arai 小山:コヤマ:koyama 平野:ヒラノ:hirano
北村:キタムラ:kitamura 河野:コウノ:kono 東:ヒガシ:higashi 辻:ツジ:tsuji 浅野:アサノ:asano
""")

GIVEN_NAMES = _parts("""
翔太:ショウタ:shota 大輔:ダイスケ:daisuke 健太:ケンタ:kenta 拓也:タクヤ:takuya 直樹:ナオキ:naoki
和也:カズヤ:kazuya 達也:タツヤ:tatsuya 亮:リョウ:ryo 誠:マコト:makoto 剛:ツヨシ:tsuyoshi
浩二:コウジ:koji 隆:タカシ:takashi 博之:ヒロユキ:hiroyuki 雄一:ユウイチ:yuichi 一郎:イチロウ:ichiro
健一:ケンイチ:kenichi 悠斗:ユウト:yuto 蓮:レン:ren 大樹:ダイキ:daiki 圭:ケイ:kei
修:オサム:osamu 学:マナブ:manabu 智也:トモヤ:tomoya 陽介:ヨウスケ:yosuke 康弘:ヤスヒロ:yasuhiro
正人:マサト:masato 真司:シンジ:shinji 裕介:ユウスケ:yusuke 慎吾:シンゴ:shingo 航:ワタル:wataru
陽子:ヨウコ:yoko 恵子:ケイコ:keiko 裕子:ユウコ:yuko 美穂:ミホ:miho 真由美:マユミ:mayumi
由美:ユミ:yumi 香織:カオリ:kaori 直美:ナオミ:naomi 智子:トモコ:tomoko 明美:アケミ:akemi
彩:アヤ:aya 愛:アイ:ai 舞:マイ:mai 麻衣:マイ:mai 美咲:ミサキ:misaki
結衣:ユイ:yui 陽菜:ヒナ:hina 優子:ユウコ:yuko 千尋:チヒロ:chihiro 沙織:サオリ:saori
奈々:ナナ:nana 理恵:リエ:rie 久美子:クミコ:kumiko 典子:ノリコ:noriko 幸子:サチコ:sachiko
佳奈:カナ:kana 美香:ミカ:mika 綾:アヤ:aya 遥:ハルカ:haruka 菜摘:ナツミ:natsumi
""")

# Job titles with rough shares of a city hall's staff.
JOB_TITLES: tuple[tuple[str, float], ...] = (
    ("主事", 0.30), ("主任", 0.18), ("主査", 0.16), ("係長", 0.12), ("課長補佐", 0.07),
    ("課長", 0.04), ("技師", 0.06), ("会計年度任用職員", 0.07),
)
MAIL_DOMAIN = "city.example.lg.jp"


@dataclass(frozen=True, slots=True)
class Course:
    """A course in the LMS catalogue."""

    code: str
    name: str
    program: str  # 一般職員研修 | リーダー育成研修
    stage: str
    hours: float
    required: bool
    first_year: int
    last_year: int | None = None
    leader_years: tuple[int, ...] = ()  # leader courses: the cohorts that took it


ALL_STAFF = "一般職員研修"
LEADER = "リーダー育成研修"

# 20 courses every member of staff is assigned, and the leader programme of DOMAIN.md.
COURSES: tuple[Course, ...] = (
    Course("E-SURVEY-PRE", "DXリテラシー事前アンケート", ALL_STAFF, "調査", 0.5, True, 2024),
    Course("E-SEC", "情報セキュリティ研修", ALL_STAFF, "eラーニング", 1.0, True, 2021),
    Course("E-PRIV", "個人情報保護研修", ALL_STAFF, "eラーニング", 1.0, True, 2021),
    Course("E-DATA1", "データリテラシー基礎", ALL_STAFF, "eラーニング", 2.0, True, 2024),
    Course("E-AI1", "AI基礎", ALL_STAFF, "eラーニング", 1.5, True, 2024),
    Course("E-GENAI", "生成AI活用入門", ALL_STAFF, "eラーニング", 1.0, False, 2025),
    Course("E-M365", "Microsoft 365 基礎", ALL_STAFF, "eラーニング", 1.5, True, 2022),
    Course("E-TEAMS", "Teams 活用講座", ALL_STAFF, "eラーニング", 1.0, False, 2022),
    Course("E-SPO", "SharePoint・OneDrive 活用講座", ALL_STAFF, "eラーニング", 1.0, False, 2022),
    Course("E-EXCEL", "Excel データ活用", ALL_STAFF, "eラーニング", 2.0, False, 2023),
    Course("E-PAPP", "Power Apps 入門", ALL_STAFF, "eラーニング", 1.5, False, 2023),
    Course("E-PAUT", "Power Automate 入門", ALL_STAFF, "eラーニング", 1.5, False, 2023),
    Course("E-PBI", "Power BI 入門", ALL_STAFF, "eラーニング", 1.5, False, 2023),
    Course("E-EAPPR", "電子決裁システム操作研修", ALL_STAFF, "eラーニング", 0.5, True, 2023),
    Course("E-PAPERLESS", "ペーパーレス会議の進め方", ALL_STAFF, "eラーニング", 0.5, False, 2024),
    Course("E-SDESIGN", "サービスデザイン思考入門", ALL_STAFF, "eラーニング", 1.0, False, 2024),
    Course("E-DATA2", "データリテラシー応用", ALL_STAFF, "eラーニング", 2.0, False, 2025),
    Course("E-TEXT-TEST", "自習テキスト習熟度テスト", ALL_STAFF, "eラーニング", 0.5, True, 2025),
    Course("E-BPR", "業務改善（BPR）の基本", ALL_STAFF, "eラーニング", 1.0, False, 2025),
    Course("E-SURVEY-POST", "DXリテラシー事後アンケート", ALL_STAFF, "調査", 0.5, True, 2026),
    # Leader training: four stages, May to November, one cohort a year FY2021-FY2025.
    Course("L-MIND", "マインドセット・基礎講義（協働・アジャイル・サービスデザイン）", LEADER,
           "マインド・基礎", 24.0, True, 2021, 2025, (2021, 2022, 2023, 2024, 2025)),
    Course("L-ELNAT", "国のeラーニング（自治体DX）", LEADER, "マインド・基礎", 10.0, True, 2021, 2025,
           (2021, 2022, 2023, 2024, 2025)),
    Course("L-M365", "Microsoft 365 演習", LEADER, "ツール演習", 4.0, True, 2021, 2025,
           (2021, 2022, 2023, 2024, 2025)),
    Course("L-PBI", "Power BI 演習", LEADER, "ツール演習", 3.0, True, 2021, 2025,
           (2021, 2022, 2023, 2024, 2025)),
    Course("L-PAUT", "Power Automate 演習", LEADER, "ツール演習", 6.0, True, 2021, 2025,
           (2021, 2022, 2023, 2024, 2025)),
    Course("L-PAPP", "Power Apps 演習", LEADER, "ツール演習", 6.0, True, 2021, 2025,
           (2021, 2022, 2023, 2024, 2025)),
    Course("L-RPA", "UiPath RPA 演習", LEADER, "ツール演習", 40.0, True, 2021, 2021, (2021,)),
    Course("L-KINTONE", "kintone 演習", LEADER, "ツール演習", 2.0, True, 2022, 2022, (2022,)),
    Course("L-GLIDE", "Glide 演習", LEADER, "ツール演習", 2.0, False, 2022, 2023, (2022, 2023)),
    Course("L-PROJ", "課題解決プロジェクト（プロトタイプ作成）", LEADER, "課題解決", 60.0, True,
           2021, 2025, (2021, 2022, 2023, 2024, 2025)),
    Course("L-POLICY", "個人政策提案（DX会議発表）", LEADER, "政策提案", 20.0, True, 2021, 2025,
           (2021, 2022, 2023, 2024, 2025)),
)

LEADER_COHORT_YEARS = (2021, 2022, 2023, 2024, 2025)
COHORT_SIZE = 20
TIER_TOP = "DX推進リーダー"
TIER_ADVISOR = "DXアドバイザー"
TIER_SECTION = "デジタル行政推進リーダー"
