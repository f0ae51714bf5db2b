// Score opsgate's header corpus with the upstream Mozilla HTTP Observatory analyzer.
//
// Usage: node analyze.mjs OBSERVATORY_SOURCE_DIR CORPUS_JSON > expected.json
//
// OBSERVATORY_SOURCE_DIR is a checkout of mdn/mdn-http-observatory with its runtime
// dependencies in node_modules (regenerate.py prepares one). Each corpus case is one response:
// its raw header list goes through node's own HTTP header folding (repeated headers joined
// with ", ", Set-Cookie kept as a list), exactly as the Observatory's retriever receives it
// from axios, and its cookies go into the session's cookie jar as http-cookie-agent puts them.
// The two tests opsgate does not evaluate from one response are given neutral input: a
// one-hop http -> https redirect on the same host (redirection 0) and an empty body
// (subresource-integrity 0).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// Node 20 lacks Set.prototype.union (node 22+), which csp.js uses; same semantics.
if (!Set.prototype.union) {
  Object.defineProperty(Set.prototype, "union", {
    value(other) {
      return new Set([...this, ...other]);
    },
  });
}

const [sourceDir, corpusPath] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(sourceDir, file)).href);
const { analyzeScan } = await load("src/scanner/index.js");
const { ALGORITHM_VERSION } = await load("src/constants.js");
const { Requests } = await load("src/types.js");
const { Site } = await load("src/site.js");
const { Session } = await load("src/retriever/session.js");
const { CONFIG } = await load("src/config.js");
const { AxiosHeaders } = await import(
  pathToFileURL(path.join(sourceDir, "node_modules/axios/index.js")).href
);

const HOST = "example.com";

function foldHeaders(rawHeaders) {
  const message = new http.IncomingMessage(null);
  const flat = rawHeaders.flat();
  message._addHeaderLines(flat, flat.length);
  return message.headers;
}

function response(headers, requestHeaders = {}) {
  return {
    headers: new AxiosHeaders(headers),
    status: 200,
    statusText: "OK",
    verified: true,
    data: "",
    config: { headers: new AxiosHeaders() },
    request: { headers: new AxiosHeaders(requestHeaders) },
    httpEquiv: new Map(),
  };
}

function requestsFor(testCase) {
  const url = new URL(`${testCase.scheme}://${HOST}/`);
  const folded = foldHeaders(testCase.headers);
  const requests = new Requests(Site.fromSiteString(HOST));
  const auto = response(folded);
  requests.responses.auto = auto;
  requests.responses.cors = response(folded, { Origin: CONFIG.retriever.corsOrigin });
  if (url.protocol === "https:") {
    requests.responses.https = auto;
    requests.responses.http = response({ location: url.href });
    requests.responses.httpRedirects = [
      { url: new URL(`http://${HOST}/`), status: 301 },
      { url, status: 200 },
    ];
  }
  // Plain-HTTP cases keep `http` null: "no HTTP redirect needed" is the neutral outcome.
  requests.session = new Session(url);
  for (const cookie of [folded["set-cookie"] ?? []].flat()) {
    requests.session.jar.setCookieSync(cookie, url.href, { ignoreError: true });
  }
  return requests;
}

const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const results = {};
for (const testCase of corpus.cases) {
  const { scan, tests } = analyzeScan(requestsFor(testCase));
  results[testCase.id] = {
    score: scan.score,
    grade: scan.grade,
    tests: Object.fromEntries(
      Object.entries(tests)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, t]) => [name, { result: t.result, modifier: t.scoreModifier }])
    ),
  };
}
process.stdout.write(
  JSON.stringify({ algorithmVersion: ALGORITHM_VERSION, results }, null, 2) + "\n"
);
