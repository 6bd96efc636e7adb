// The GraphiQL page's script: React, GraphiQL and the explorer plugin, bundled so that the page loads
// nothing from other hosts. Monaco's workers are separate bundles next to this file.
import React from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { parse } from "graphql";
import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";

const here = new URL(".", document.currentScript ? document.currentScript.src : location.href);
const WORKERS = { json: "json.worker.js", graphql: "graphql.worker.js" };
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    return new Worker(new URL(WORKERS[label] || "editor.worker.js", here));
  },
};

const url = location.origin + location.pathname;
const subscriptionUrl = url.replace(/^http/, "ws");
// the Headers tab's headers go to the HTTP requests and, as connection_init's payload, to the WebSocket
const fetchOperation = createGraphiQLFetcher({ url, subscriptionUrl });
// the fetcher tells a subscription (WebSocket) from a query (HTTP) by the editor's parsed document, which lags
// behind the text for a moment: a subscription run right after it was pasted went over HTTP
const fetcher = (params, options) => {
  let documentAST = options && options.documentAST;
  try {
    documentAST = parse(params.query);
  } catch {
    // GraphiQL shows the syntax error; the request goes as it would have
  }
  return fetchOperation(params, { ...options, documentAST });
};
const explorer = explorerPlugin();

createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    defaultEditorToolsVisibility: true,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  }),
);
