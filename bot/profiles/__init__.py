"""Customer profiles: accounts, orders, shipments, refunds, invoices and the e-mail outbox."""
