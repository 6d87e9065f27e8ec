"""The shape of a bot turn, and what the assistant says about knowledge-base answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kb.answering import KbAnswer

YES_NO_BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
]

@dataclass
class Reply:
    """One bot turn: text, optional buttons, and whether it waits for a yes or no."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    asks_confirmation: bool = False


FEEDBACK_BUTTONS = [
    {"title": "Yes, thanks", "payload": "/affirm"},
    {"title": "Not really", "payload": "/deny"},
]
PERSON_BUTTON = {"title": "Talk to a person", "payload": "/contact_human_agent"}


def knowledge_replies(answer: KbAnswer, ask_feedback: bool) -> list[Reply]:
    """The best passage with its source and related articles, or an honest "not sure"."""
    if not answer.confident or answer.best is None:
        return [Reply("I'm not sure I have a good answer to that. Could you rephrase it, or "
                      "would you like me to connect you with a person?", [PERSON_BUTTON])]
    passage = answer.best.passage
    source = f"{passage.title} ({passage.url})" if passage.url else passage.title
    related = [{"title": hit.passage.title, "payload": hit.passage.title} for hit in answer.related]
    replies = [Reply(f"{passage.text}\n\nSource: {source}", related)]
    if ask_feedback:
        replies.append(Reply("Did that answer your question?", FEEDBACK_BUTTONS))
    return replies


def feedback_reply(helpful: bool | None) -> Reply:
    if helpful is None:
        return Reply("Okay. What else can I help you with?")
    if helpful:
        return Reply("Great, glad that helped! Anything else?")
    return Reply("Sorry about that. Could you tell me a bit more or rephrase your question? "
                 "I can also connect you with a person.", [PERSON_BUTTON])
