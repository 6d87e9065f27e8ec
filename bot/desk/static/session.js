// Harbor & Pine staff pages: what the console, studio, analytics and privacy pages share, so
// that each does not carry its own copy. `el` builds DOM nodes (server data goes in as text
// nodes, never as markup); a session wraps fetch for the desk's REST API (JSON bodies, the
// session cookie, X-CSRF-Token on every request but a GET, the server's {"error": ...} as the
// thrown message) and signs in and out against /api/console/{login,logout,me}. A 401 while
// signed in ends the session and calls the page's onEnded(message). A plain script (the pages'
// CSP allows scripts from 'self' only; no modules, no bundler): each page loads it before its
// own script and uses the one global, window.HarborSession.
(function () {
  "use strict";
  const ENDED = "Your session has ended. Please sign in again.";
  const byId = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, attrs || {});
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  // options.onEnded(message): a request came back 401 while a user was signed in.
  function create(options) {
    const onEnded = (options && options.onEnded) || (() => {});
    const session = {
      // {username, display_name, role, csrf_token} while signed in, else null. login() and
      // restore() set it; a page that turns the user away sets it back to null.
      user: null,

      async api(method, path, body) {
        const headers = {};
        if (body !== undefined) headers["Content-Type"] = "application/json";
        if (method !== "GET" && session.user) headers["X-CSRF-Token"] = session.user.csrf_token;
        const res = await fetch(path, { method, headers, credentials: "same-origin",
          body: body === undefined ? undefined : JSON.stringify(body) });
        const data = res.status === 204 ? null : await res.json().catch(() => null);
        if (!res.ok) {
          const error = new Error((data && data.error) || "Request failed (" + res.status + ")");
          error.status = res.status;
          if (res.status === 401 && session.user) {
            session.user = null;
            onEnded(ENDED);
          }
          throw error;
        }
        return data;
      },

      async login(username, password) {
        const user = await session.api("POST", "/api/console/login", { username, password });
        session.user = user;
        return user;
      },

      // Signed out here either way; throws what the server said if it refused.
      async logout() {
        try { await session.api("POST", "/api/console/logout"); } finally { session.user = null; }
      },

      // The user the session cookie belongs to, or null if there is none (401); other errors throw.
      async restore() {
        let user;
        try {
          user = await session.api("GET", "/api/console/me");
        } catch (error) {
          if (error.status === 401) return null;
          throw error;
        }
        session.user = user;
        return user;
      },

      // The sign-in form every staff page has (#login-form: #username, #password, #login-error):
      // signs in and hands the user to onUser, or shows the server's error under the form; the
      // button is disabled while the request is out, so a double click signs in once.
      bindSignInForm(onUser) {
        byId("login-form").addEventListener("submit", async (event) => {
          event.preventDefault();
          const button = event.target.querySelector("button");
          byId("login-error").textContent = "";
          button.disabled = true;
          try {
            const user = await session.login(byId("username").value.trim(), byId("password").value);
            byId("password").value = "";
            onUser(user);
          } catch (error) {
            byId("login-error").textContent = error.message;
          } finally {
            button.disabled = false;
          }
        });
      },
    };
    return session;
  }

  window.HarborSession = Object.freeze({ el, create, ENDED });
})();
