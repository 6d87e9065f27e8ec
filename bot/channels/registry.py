"""Which messaging channels are on (those whose secrets are set), their senders behind one
outbox worker, and their webhooks: all the desk needs to know about channels."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bot.channels import meta, slack, telegram, twilio
from bot.channels.contacts import Contacts
from bot.channels.delivery import Delivering, Formatter
from bot.channels.outbox import Outbox, OutboxWorker, Send
from bot.desk.conversations import ConversationStore
from bot.desk.messaging import MessageRouter
from bot.desk.metrics import DeskMetrics
from bot.locks import Locks
from bot.settings import Settings

# Each channel's replies as its provider's payloads (on or off, so a contact stays readable).
FORMATTERS: dict[str, Formatter] = {
    "telegram": telegram.message_payloads, "slack": slack.message_payloads,
    "sms": twilio.message_payloads, "whatsapp": twilio.message_payloads,
    "messenger": meta.messenger_payloads, "whatsapp_cloud": meta.whatsapp_payloads}


@dataclass
class MessagingChannels:
    delivering: Delivering
    worker: OutboxWorker
    _clients: list = field(default_factory=list)  # the senders' HTTP clients, closed on stop
    _routes: list = field(default_factory=list)  # add_*_routes(app, config, delivering) calls

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session],
                      conversations: ConversationStore, router: MessageRouter,
                      locks: Locks, metrics: DeskMetrics | None = None) -> MessagingChannels:
        sends: dict[str, Send] = {}
        clients, routes = [], []
        if config := telegram.telegram_config(settings):
            clients.append(sender := telegram.TelegramSender(config))
            sends["telegram"] = sender.send
            routes.append((telegram.add_telegram_routes, config))
        if config := slack.slack_config(settings):
            clients.append(sender := slack.SlackSender(config))
            sends["slack"] = sender.send
            routes.append((slack.add_slack_routes, config))
        if config := twilio.twilio_config(settings):
            clients.append(sender := twilio.TwilioSender(config))
            sends["sms"] = sends["whatsapp"] = sender.send
            routes.append((twilio.add_twilio_routes, config))
        if config := meta.meta_config(settings):
            clients.append(sender := meta.MetaSender(config))
            sends["messenger"], sends["whatsapp_cloud"] = sender.send_messenger, sender.send_whatsapp
            routes.append((meta.add_meta_routes, config))
        outbox = Outbox(sessions)
        worker = OutboxWorker(outbox, sends, locks=locks, metrics=metrics)
        delivering = Delivering(Contacts(sessions, conversations), conversations, outbox, worker,
                                FORMATTERS, router)
        return cls(delivering, worker, clients, routes)

    def add_routes(self, app: FastAPI) -> None:
        for add, config in self._routes:
            add(app, config, self.delivering)

    def start(self) -> None:
        self.worker.start()  # also resumes deliveries a restart left unsent

    async def stop(self) -> None:
        await self.worker.stop()
        for client in self._clients:
            await client.aclose()
