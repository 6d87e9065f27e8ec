"""What the desk itself tells the customer about people joining, queues and ratings."""

from __future__ import annotations

RATING_BUTTONS = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
SOLVED_BUTTONS = [{"title": "Yes", "payload": "Yes"}, {"title": "No", "payload": "No"}]


def bringing_in_a_person() -> str:
    return "I'm bringing in a member of our team who can help with this."


def queued(position: int | None, agents_online: int, hours: str) -> str:
    if agents_online:
        place = f"You're number {position} in the queue. " if position else ""
        return f"{place}A person will answer right here; you can keep writing in the meantime."
    return ("No one from our team is online right now. We're here " + hours + ", and the first "
            "person in will pick this up. If you'd rather get an e-mail, leave your e-mail address "
            "here. Everything you write stays in this conversation.")


def email_noted(email: str) -> str:
    return f"Thanks, we'll write to {email} if we can't answer you here first."


def agent_joined(agent: str) -> str:
    return f"{agent} from our team has joined the conversation."


def ask_rating(agent: str) -> str:
    return (f"{agent} marked this as resolved. How would you rate the help you got, "
            "from 1 (poor) to 5 (excellent)?")


def thanks_for_rating(rating: int) -> str:
    return f"Thank you for rating us {rating}/5. I'm the assistant again; ask me anything."


def handed_back(agent: str) -> str:
    return (f"{agent} has passed you back to the assistant. Ask me anything, or ask for a "
            "person again at any time.")


def ask_solved() -> str:
    return "Before you go: did I solve your problem? (Yes or No; you can also just carry on.)"


def thanks_for_solved(solved: bool) -> str:
    if solved:
        return "Glad to hear it. Thanks for letting me know!"
    return ("Sorry I couldn't sort it out. Tell me what's still wrong, or ask for a person "
            "and I'll bring in our team.")


def redacted(kinds: tuple[str, ...]) -> str:
    """Said once per conversation, after the first message the desk had to mask."""
    parts = []
    if {"card", "security_code", "iban"} & set(kinds):
        parts.append("For your safety I've hidden the payment details in your message, so they "
                     "aren't stored. Please never share card numbers, security codes or bank "
                     "details in a chat; we'll never ask for them here.")
    if "password" in kinds:
        parts.append("I've hidden the password you typed, so it isn't stored. We'll never ask for "
                     "your password; if you need a new one, just say \"reset my password\".")
    return " ".join(parts)
