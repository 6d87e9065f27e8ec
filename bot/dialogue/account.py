"""What the assistant says about identity checks and account requests."""

from __future__ import annotations

from bot.dialogue.replies import PERSON_BUTTON, YES_NO_BUTTONS, Reply
from bot.profiles.store import ChangeResult, CustomerView, PaymentMethodView

MAX_VERIFICATION_ATTEMPTS = 3
UNSUBSCRIBE_WORDS = ("unsub", "stop", "opt out", "opt-out", "no more", "remove me", "cancel", "off")

ASK_ORDER_TO_VERIFY = ("Thanks. And the number of one of your orders? It's in your confirmation "
                       "e-mail (for example #10482).")
LOCKED = Reply("I couldn't verify your identity, so for your security I can't show or change account "
               "details in this chat. A person can help: call 1-800-555-0142 or type \"agent\".",
               [PERSON_BUTTON])


def ask_email_to_verify(order_id: str | None = None) -> str:
    """An order number the customer already gave is acknowledged, not asked for again."""
    if order_id:
        return (f"Thanks, I've noted order #{order_id}. To look at it I first need to check it's you: "
                "what's the e-mail address on your account?")
    return "To look at your account I first need to check it's you. What's the e-mail address on your account?"


def verification_failed(attempts: int) -> str:
    left = MAX_VERIFICATION_ATTEMPTS - attempts
    if left <= 0:
        return LOCKED.text
    return (f"That e-mail address and order number don't match our records ({left} "
            f"{'try' if left == 1 else 'tries'} left). Let's try again.")


def greeting(customer: CustomerView | None) -> Reply:
    if customer is None:
        return Reply("Hi! I'm the Harbor & Pine assistant. I can track orders, help with returns, "
                     "refunds, payments and your account. What can I do for you?")
    return Reply(f"Hi {customer.first_name}! I'm the Harbor & Pine assistant. I can see your orders "
                 "and account, so just ask. What can I do for you?")


def password_reset_reply(email: str) -> Reply:
    """Identical whether or not the address has an account, so nobody can probe for accounts."""
    return Reply(f"If {email} belongs to an account, a password reset link is on its way. The link "
                 "is valid for 1 hour; check your spam folder if it doesn't arrive.")


def wants_unsubscribe(request: str) -> bool:
    return any(word in request.lower() for word in UNSUBSCRIBE_WORDS)


def newsletter_reply(result: ChangeResult, subscribe: bool) -> Reply:
    if result.code == "unchanged":
        return Reply("You're already subscribed to the newsletter." if subscribe
                     else "You're not subscribed to the newsletter, so there's nothing to stop.")
    if subscribe:
        return Reply("You're subscribed to our weekly newsletter. Your 10% welcome code is on its "
                     "way by e-mail.")
    return Reply("Done: you won't get the newsletter any more. Order and delivery e-mails still arrive.")


def payment_methods_reply(methods: list[PaymentMethodView]) -> Reply:
    if not methods:
        return Reply("You have no saved payment methods. You can add one at checkout.")
    lines = [f"- {m.label}{f', expires {m.expiry}' if m.expiry else ''}{' (default)' if m.is_default else ''}"
             for m in methods]
    return Reply("Saved on your account:\n" + "\n".join(lines) +
                 "\nManage them under Account > Payment methods.")


def deletion_reply(result: ChangeResult) -> Reply:
    if result.code == "already_requested":
        return Reply("Your account is already scheduled for deletion.")
    return Reply("Your deletion request is recorded and confirmed by e-mail. The account is closed "
                 "after a 14-day grace period; sign in before then if you change your mind. Order "
                 "records are kept for 7 years for tax law.")


ACCOUNT_FIELDS = {"first_name": "first name", "last_name": "last name", "phone": "phone number"}
FIELD_WORDS = (("phone", "phone"), ("mobile", "phone"), ("number", "phone"), ("first", "first_name"),
               ("given", "first_name"), ("last", "last_name"), ("surname", "last_name"),
               ("family", "last_name"))


def account_field_from_text(text: str) -> str | None:
    """'my mobile' -> phone, 'surname' -> last_name; None if the text names no field."""
    lowered = text.lower()
    return next((field for word, field in FIELD_WORDS if word in lowered), None)


def ask_account_field() -> Reply:
    return Reply("What would you like to change? (Your e-mail address is how we recognise you, "
                 "so it changes under Account > Profile.)",
                 [{"title": label.capitalize(), "payload": f'/inform{{"account_field": "{field}"}}'}
                  for field, label in ACCOUNT_FIELDS.items()])


def confirm_account_change(field: str, value: str) -> Reply:
    return Reply(f"Change your {ACCOUNT_FIELDS[field]} to \"{value}\"?", YES_NO_BUTTONS,
                 asks_confirmation=True)


def account_change_reply(result: ChangeResult) -> Reply:
    if result.ok:
        field = ACCOUNT_FIELDS[result.message_data["field"]]
        return Reply(f"Done: your {field} is now {result.message_data['value']}.")
    return Reply("Sorry, that value can't be saved. Names use letters, spaces, hyphens and "
                 "apostrophes; phone numbers 7 to 20 digits, spaces, +, - and brackets.")
