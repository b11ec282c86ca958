"""Everything a member of staff reads, in Japanese (and English when the client asks for it)."""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

JA: Mapping[str, str] = {
    "source": "詳しい説明を見る",
    "helpful": "役に立った",
    "not_helpful": "解決しない",
    "did_you_mean": "お探しの内容は次のどれですか？近いものを選んでください。",
    "none_of_these": "どれでもない",
    "no_answer": "申し訳ありません。このご質問に合う回答が FAQ に見つかりませんでした。",
    "no_answer_hint": "言葉を変えてもう一度聞いていただくか、下のボタンで {division}の担当者に質問を届けられます。",
    "ask_human": "担当者に聞く",
    "welcome_title": "DXコミュニティボットです",
    "welcome_body": "Teams・SharePoint・Power Apps・Power Automate・Power BI の使い方や、研修・業務改善提案のことを、普段の言葉で聞いてください。FAQ から答えを探します。分からないときは{division}の担当者につなぎます。",
    "welcome_channel": "チャネルでは @DXコミュニティボット とメンションして話しかけてください。",
    "help_button": "使い方を見る",
    "help_title": "使い方",
    "help_body": "質問をそのまま送ってください。例えば次のように聞けます。",
    "thanks_feedback": "ありがとうございます。今後の回答の改善に使わせていただきます。",
    "sorry_feedback": "お役に立てず申し訳ありません。{division}で確認できるよう記録しました。下のボタンから担当者に質問を届けることもできます。",
    "escalated": "ご質問を{division}に届けました（受付番号 {question_id}）。",
    "none_chosen": "承知しました。質問を記録しました。下のボタンから担当者に質問を届けることもできます。",
    "greeting": "こんにちは！DX に関する質問をどうぞ。「ヘルプ」と送ると使い方を表示します。",
    "greeting_work": "お疲れさまです。DX に関する質問をどうぞ。「ヘルプ」と送ると使い方を表示します。",
    "thanks": "どういたしまして。ほかにも気になることがあれば、いつでも聞いてください。",
    "empty": "メッセージが空のようです。質問を文章で送ってください。",
    "too_long": "メッセージが長すぎます（{limit}文字まで）。要点を短くして送ってください。",
    "error": "申し訳ありません、うまく処理できませんでした。時間をおいてもう一度お試しください。問い合わせの際はこの番号をお伝えください：{correlation_id}",
    "card_expired": "このカードは古くなっています。もう一度質問を送ってください。",
    "not_yours": "このボタンは質問した方のためのものです。ご自身の質問は、私に直接送ってください。",
    "ex_share": "Power Apps のアプリを共有するには？",
    "ex_deadline": "eラーニングの期限はいつ？",
    "ex_leader": "うちの課の DXリーダーは誰？",
    "ex_proposal": "業務改善提案はどうやって出すの？",
    "example": "質問の例",
    "cmd_help": "ヘルプ",
    "cmd_help_value": "この使い方を表示します",
    "cmd_question": "質問をそのまま",
    "cmd_question_value": "FAQ から回答を探します",
}

EN: Mapping[str, str] = {
    "source": "Read more",
    "helpful": "Helpful",
    "not_helpful": "Didn't solve it",
    "did_you_mean": "Did you mean one of these? Please pick the closest.",
    "none_of_these": "None of these",
    "no_answer": "Sorry, I couldn't find an FAQ answer that fits your question.",
    "no_answer_hint": "Try asking in other words, or send the question to {division} with the button below.",
    "ask_human": "Ask a person",
    "welcome_title": "This is the DX community bot",
    "welcome_body": "Ask in your own words about Teams, SharePoint, Power Apps, Power Automate, Power BI, training or improvement proposals. I look for the answer in the FAQ and pass what I can't answer to {division}.",
    "welcome_channel": "In a channel, @mention the bot to talk to it.",
    "help_button": "How to use",
    "help_title": "How to use",
    "help_body": "Just send your question, for example:",
    "thanks_feedback": "Thank you. We use your feedback to improve the answers.",
    "sorry_feedback": "Sorry that didn't help. It has been recorded for {division}; you can also send the question to a person below.",
    "escalated": "Your question has been sent to {division} (reference {question_id}).",
    "none_chosen": "Understood. Your question has been recorded; you can also send it to a person below.",
    "greeting": "Hello! Ask me anything about DX. Send \"help\" to see how to use me.",
    "greeting_work": "Hello! Ask me anything about DX. Send \"help\" to see how to use me.",
    "thanks": "You're welcome. Ask again any time.",
    "empty": "Your message seems empty. Please type your question.",
    "too_long": "Your message is too long (limit {limit} characters). Please shorten it.",
    "error": "Sorry, something went wrong. Please try again later. If you contact us, quote this number: {correlation_id}",
    "card_expired": "This card is out of date. Please ask your question again.",
    "not_yours": "These buttons are for the person who asked. Send me your own question directly.",
    "ex_share": "How do I share a Power Apps app?",
    "ex_deadline": "When is the e-learning deadline?",
    "ex_leader": "Who is my section's DX leader?",
    "ex_proposal": "How do I submit an improvement proposal?",
    "example": "Example",
    "cmd_help": "help",
    "cmd_help_value": "shows this guide",
    "cmd_question": "any question",
    "cmd_question_value": "looks for the answer in the FAQ",
}


DEFAULT_DIVISION = "デジタル行政戦略課"
DEFAULT_DIVISION_EN = "the DX division"


@lru_cache(maxsize=16)
def _with_division(english: bool, division: str) -> Mapping[str, str]:
    # Replaced, not str.format-ed: the other placeholders are filled later, per message.
    return MappingProxyType({k: v.replace("{division}", division)
                             for k, v in (EN if english else JA).items()})


def texts(locale: str | None, division: str | None = None,
          division_en: str | None = None) -> Mapping[str, str]:
    """Japanese unless the client's locale is English; `division` names the city's DX division
    (DX_DIVISION_NAME, e.g. デジタル行政戦略課) wherever a message sends people to it."""
    english = (locale or "").lower().startswith("en")
    name = (division_en or DEFAULT_DIVISION_EN) if english else (division or DEFAULT_DIVISION)
    return _with_division(english, name)
