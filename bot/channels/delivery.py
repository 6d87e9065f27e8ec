"""What every channel adapter shares: the contact's conversation, and replies (the bot's, an
agent's, the desk's notices) turned into provider payloads and put in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.channels.contacts import Arrival, Contacts
from bot.channels.models import ChannelContact
from bot.channels.outbox import Outbox, OutboxWorker
from bot.db import aware, utcnow
from bot.desk.conversations import ConversationStore
from bot.desk.messaging import BotUnavailable, InvalidMessage, MessageRouter
from bot.desk.models import Conversation, Message, Sender

# Channels without buttons: options are numbered and a reply's number stands for its option.
NUMBERED = {"sms", "whatsapp", "whatsapp_cloud"}
# Meta's messaging window: free-form messages only within 24 hours of the customer's last one.
WINDOWED = {"whatsapp", "whatsapp_cloud", "messenger"}
REPLY_WINDOW = timedelta(hours=24)
MAX_ID = 128  # the columns holding event, user and number ids
# Turns a reply's text and buttons into the channel's payloads, in sending order.
Formatter = Callable[[str, list[dict] | None], list[dict]]


ONLY_TEXT = "Sorry, I can only read text messages here. Could you type your question?"
UNAVAILABLE = "Sorry, I can't answer right now. Your message is saved and I'll reply here as soon as I can."


class Delivering:
    def __init__(self, contacts: Contacts, conversations: ConversationStore, outbox: Outbox,
                 worker: OutboxWorker, formatters: dict[str, Formatter], router: MessageRouter) -> None:
        self.contacts = contacts
        self.router = router
        self._conversations = conversations
        self._outbox = outbox
        self._worker = worker
        self._formatters = formatters

    async def receive(self, channel: str, event_id: str, external_id: str, name: str | None,
                      reply_from: str | None = None) -> Arrival | None:
        """The contact's conversation for a new event; None for a redelivered one."""
        if not all(_valid_id(value) for value in (event_id, external_id, reply_from or "-")):
            raise InvalidMessage(f"provider ids are 1-{MAX_ID} printable characters")
        return await run_in_threadpool(self.contacts.receive, channel, event_id, external_id, name,
                                       reply_from)

    async def answer(self, conversation: Conversation, text: str | None, what: str) -> None:
        """A customer's message: text goes to the router and its replies out; anything else
        (`what`, e.g. "[photo]") is kept in the transcript and answered politely."""
        if not text or not text.strip():
            await self.unsupported(conversation, what, ONLY_TEXT)
            return
        try:
            exchange = await self.router.handle(conversation, text)
        except InvalidMessage as error:
            await self.notice(conversation, str(error))
            return
        except BotUnavailable:
            await self.delayed(conversation)
            return
        await self.replies(conversation, exchange.replies)

    async def replies(self, conversation: Conversation, messages: list[Message]) -> None:
        await self.deliver(conversation.id, [m for m in messages if m.text])

    async def deliver(self, conversation_id: str, messages: list[Message]) -> None:
        """Queue messages for a channel conversation; the widget's need nothing (its socket)."""
        contact = await run_in_threadpool(self.contacts.contact, conversation_id)
        if contact is None or not messages:
            return
        also = None
        if contact.channel in NUMBERED:
            options = (messages[-1].payload or {}).get("buttons") or None
            also = partial(self.contacts.set_options, conversation_id=conversation_id, options=options)
        await self._queue(contact, [(m.id, m.text, (m.payload or {}).get("buttons")) for m in messages], also)

    async def _queue(self, contact: ChannelContact, texts: list[tuple[int | None, str, list[dict] | None]],
                     also: Callable[[Session], None] | None = None) -> None:
        """(message id, text, buttons) as the channel's payloads, sent from the number the
        customer wrote to, into the outbox; then wake the worker."""
        formatter = self._formatters[contact.channel]
        sender = {"From": contact.reply_from} if contact.reply_from else {}
        payloads = [(message_id, {**payload, **sender})
                    for message_id, text, buttons in texts for payload in formatter(text, buttons)]
        await run_in_threadpool(self._outbox.enqueue, contact.conversation_id, contact.channel,
                                contact.external_id, payloads, also)
        self._worker.wake()

    def blocked(self, conversation_id: str) -> str | None:
        """Why a person's reply cannot be sent on this conversation's channel now, if so."""
        contact = self.contacts.contact(conversation_id)
        return reply_window_closed(contact.last_inbound_at, contact.channel) if contact else None

    def status(self, conversation_id: str) -> dict | None:
        """For the agent: who the channel contact is, and replies that could not be delivered."""
        contact = self.contacts.contact(conversation_id)
        if contact is None:
            return None
        failed = [{"message_id": d.message_id, "error": d.last_error}
                  for d in self._outbox.for_conversation(conversation_id) if d.status == "failed"]
        return {"channel": contact.channel, "contact": contact.display_name, "undelivered": failed}

    async def send_raw(self, conversation: Conversation, channel: str, recipient: str, payload: dict) -> None:
        """A provider call that is no message (Telegram's answerCallbackQuery)."""
        await run_in_threadpool(self._outbox.enqueue, conversation.id, channel, recipient, [(None, payload)])
        self._worker.wake()

    async def delayed(self, conversation: Conversation) -> None:
        """Tell the customer the answer will come later. Not kept in the transcript, where the
        message must stay the last word until the bot answers it (bot.desk.recovery)."""
        contact = await run_in_threadpool(self.contacts.contact, conversation.id)
        if contact is not None:
            await self._queue(contact, [(None, UNAVAILABLE, None)])

    async def notice(self, conversation: Conversation, text: str) -> None:
        message = await run_in_threadpool(self._conversations.add_message, conversation.id, Sender.bot, text)
        await self.deliver(conversation.id, [message])

    async def unsupported(self, conversation: Conversation, description: str, reply: str) -> None:
        """Media and other messages the bot cannot read: kept in the transcript, answered politely."""
        inbound = await run_in_threadpool(self._conversations.add_customer_message, conversation.id, description)
        stored = await run_in_threadpool(self._conversations.record_bot_replies, inbound, [{"text": reply}])
        await self.deliver(conversation.id, stored)


def reply_window_closed(last_inbound_at: datetime, channel: str) -> str | None:
    if channel in WINDOWED and utcnow() - aware(last_inbound_at) > REPLY_WINDOW:
        name = "Messenger" if channel == "messenger" else "WhatsApp"
        return (f"{name} allows replies only within 24 hours of the customer's last message, "
                "and this customer last wrote more than 24 hours ago: the reply was not sent")
    return None


def _valid_id(value: str) -> bool:
    return 0 < len(value) <= MAX_ID and value.isprintable()


def chosen(text: str, options: list[dict] | None) -> str:
    """On channels without buttons, a reply of just an option's number stands for it."""
    stripped = text.strip().rstrip(".")
    if options and stripped.isdigit() and 1 <= int(stripped) <= len(options):
        option = options[int(stripped) - 1]
        return option.get("payload") or option["title"]
    return text
