"""What the assistant says when a form has the order number or e-mail it needed.

Order and account answers are general guidance until the customer profile store
answers from real data; the flows (ask, validate, confirm) are already the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kb.answering import KbAnswer

YES_NO_BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
]

UNSUBSCRIBE_WORDS = ("unsub", "stop", "opt out", "opt-out", "no more", "remove me", "cancel")


@dataclass
class Reply:
    """One bot turn: text, optional buttons, and whether it waits for a yes or no."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    asks_confirmation: bool = False


def order_reply(topic: str | None, order_id: str) -> Reply:
    """The answer to an order request once the order number is known."""
    ref = f"#{order_id}"
    if topic == "cancel":
        return Reply(
            f"Order {ref}: cancelling is free until it is packed, costs $5 once packed, and is "
            "not possible after it has shipped. Do you want me to request the cancellation?",
            YES_NO_BUTTONS,
            asks_confirmation=True,
        )
    replies = {
        "track": f"You can follow order {ref} under Account > Orders; once it ships we e-mail "
        "you the carrier's tracking link. Orders are packed within 1 business day.",
        "change": f"Items, sizes and colours of order {ref} can be changed under Account > "
        "Orders > Change until the order is packed.",
        "address": f"The shipping address of order {ref} can be changed under Account > "
        "Orders > Change until the order is packed. After that the carrier can no longer "
        "redirect it.",
        "invoice": f"The invoice for order {ref} is under Account > Orders > Invoice; we also "
        "e-mail it as a PDF when the order ships.",
        "invoice_copy": f"You can download the invoice for order {ref} any time under "
        "Account > Orders > Invoice, and it was e-mailed as a PDF when the order shipped.",
        "refund": f"To return items from order {ref} for a refund, open Account > Returns > "
        "Start a return within 30 days of delivery; US return labels are free.",
        "refund_status": f"Refunds for order {ref} show under Account > Returns. Money reaches "
        "your original payment method 5-7 business days after the return arrives.",
    }
    return Reply(replies.get(topic or "", replies["track"]))


def confirmation_reply(topic: str | None, order_id: str | None, confirmed: bool) -> Reply:
    """The answer to the customer's yes or no after a change was proposed."""
    ref = f"#{order_id}" if order_id else "your order"
    if not confirmed:
        return Reply(f"Okay, I won't change {ref}. Anything else I can help with?")
    if topic == "cancel":
        return Reply(
            f"Cancellation requested for order {ref}. You'll get an e-mail as soon as it is "
            "processed; any charge is released within 3-5 business days."
        )
    return Reply(f"Done: your request for order {ref} is recorded.")


def email_reply(topic: str | None, email: str, last_message: str) -> Reply:
    """The answer to a password or newsletter request once the e-mail address is known."""
    if topic == "newsletter":
        if any(word in last_message.lower() for word in UNSUBSCRIBE_WORDS):
            return Reply(
                f"Understood: {email} will be taken off the newsletter. You can also use the "
                "unsubscribe link at the bottom of any newsletter."
            )
        return Reply(
            f"Thanks! {email} can subscribe under Account > Preferences, and subscribers get "
            "10% off their next order."
        )
    return Reply(
        f"If {email} belongs to an account, a password reset link is on its way. The link is "
        "valid for 1 hour; check your spam folder if it doesn't arrive."
    )


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
