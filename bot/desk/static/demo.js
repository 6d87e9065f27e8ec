// Demo store only: a "signed in as" picker standing in for the store's own login. It asks
// the desk's demo signer (enabled with ASSISTANT_DEMO_STORE) for a signed identity.
(async function () {
  "use strict";
  const CUSTOMERS = [["", "Guest"], ["C1001", "Maya Chen"], ["C1002", "Jonas Weber (VIP)"], ["C1003", "Priya Nair"]];
  if (!(await fetch("/demo/identity/C1001")).ok) return;
  const select = document.createElement("select");
  select.id = "demo-customer";
  select.setAttribute("aria-label", "Signed in as");
  for (const [id, name] of CUSTOMERS) select.append(new Option(name, id));
  const label = document.createElement("label");
  label.className = "demo-signin";
  label.append("Signed in as ", select);
  document.querySelector(".store-header").append(label);
  const chat = (window.HarborChat = window.HarborChat || {});
  select.addEventListener("change", async () => {
    chat.identity = select.value ? await (await fetch("/demo/identity/" + select.value)).json() : null;
    if (chat.restart) chat.restart();
  });
})();
