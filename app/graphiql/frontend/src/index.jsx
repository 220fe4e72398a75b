// MediMyth's GraphiQL: bundled and served by the API itself, so it works on
// networks that block CDNs and under a Content-Security-Policy that allows
// nothing from other origins.
import { setNonce } from "get-nonce";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import React from "react";
import { createRoot } from "react-dom/client";
import "./medimyth.css";

const root = document.getElementById("graphiql");
const { endpoint, operations, operationsIntegrity, styleNonce } = root.dataset;

// Radix dialogs and menus add a <style> element while they are open; the
// server's CSP allows it only with this per-request nonce (no 'unsafe-inline').
setNonce(styleNonce);

// Queries and mutations: a same-origin POST whose answer is always GraphQL-shaped
// (a proxy's HTML error page becomes an error, not a JSON parse failure).
const JSON_TYPE = { "Content-Type": "application/json" };

async function sameOriginFetch(url, init) {
  const response = await fetch(url, {
    ...init,
    credentials: "same-origin",
    headers: { Accept: "application/graphql-response+json, application/json", ...init.headers },
  });
  const text = await response.text();
  try {
    JSON.parse(text);
    return new Response(text, { status: response.status, headers: JSON_TYPE });
  } catch {
    const errors = [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }];
    return Response.json({ errors });
  }
}

// Subscriptions: graphql-transport-ws (graphql-ws) on the same path, same origin, so the
// page's CSP needs only this origin's ws:// or wss:// URL. The toolkit opens one lazy
// client per subscription with the Headers editor's values as connection_init payload,
// and it closes its socket when the subscription completes or is stopped.
function subscriptionUrl() {
  const url = new URL(endpoint, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

const fetcher = createGraphiQLFetcher({
  url: endpoint,
  subscriptionUrl: subscriptionUrl(),
  fetch: sameOriginFetch,
  // The server answers application/json only; no multipart incremental delivery.
  enableIncrementalDelivery: false,
});

// Tabs live in localStorage under a key tied to this set of operations, so a
// new build's operations replace a returning visitor's stale tabs.
function namespacedStorage(namespace) {
  const prefix = `medimyth:${namespace}:`;
  const keys = () => Object.keys(localStorage).filter((key) => key.startsWith(prefix));
  return {
    getItem: (key) => localStorage.getItem(prefix + key),
    setItem: (key, value) => localStorage.setItem(prefix + key, value),
    removeItem: (key) => localStorage.removeItem(prefix + key),
    clear: () => keys().forEach((key) => localStorage.removeItem(key)),
    get length() {
      return keys().length;
    },
  };
}

function showError(message) {
  const box = document.createElement("pre");
  box.className = "medimyth-load-error";
  box.textContent = message;
  root.replaceChildren(box);
}

async function main() {
  const response = await fetch(operations, { integrity: operationsIntegrity });
  if (!response.ok) throw new Error(`could not load ${operations}: HTTP ${response.status}`);
  const { version, tabs } = await response.json();
  createRoot(root).render(
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={tabs}
      defaultEditorToolsVisibility={true}
      storage={namespacedStorage(version)}
      shouldPersistHeaders={false}
      isHeadersEditorEnabled={true}
    >
      <GraphiQL.Logo>MediMyth</GraphiQL.Logo>
    </GraphiQL>,
  );
}

main().catch((error) => {
  showError(`GraphiQL could not start: ${error.message}`);
  throw error;
});
