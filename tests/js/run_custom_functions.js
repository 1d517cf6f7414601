// Runs xlwings Server's generated custom-functions JavaScript (/xlwings/custom-functions-code)
// under node, with a minimal stand-in for the Office.js globals Excel provides, and calls the
// functions it registers the way Excel does. Prints one JSON line per call: what Excel would
// put in the cell (a value, or the CustomFunctions.Error it throws) and how many HTTP requests
// the call made.
//
// usage: node run_custom_functions.js CODE.js ORIGIN CALLS.json
"use strict";
const fs = require("fs");
const vm = require("vm");

const [codePath, origin, callsPath] = process.argv.slice(2);
const registered = {};
let requests = 0;

class CustomFunctionsError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

globalThis.window = { location: { origin } };
globalThis.localStorage = { getItem: () => null, setItem: () => {} };
globalThis.Office = {
  onReady: (callback) => {
    if (callback) callback({});
    return Promise.resolve({});
  },
  context: { requirements: { isSetSupported: () => true } },
};
globalThis.Excel = {
  RequestContext: class {
    constructor() {
      this.workbook = { name: "Book1.xlsx", load: () => {} };
    }
    async sync() {}
  },
};
globalThis.CustomFunctions = {
  associate: (name, func) => {
    registered[name] = func;
  },
  Error: CustomFunctionsError,
  ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A" },
};
let culture = "en-US";
globalThis.xlwings = {
  getCultureInfoName: async () => culture,
  getDateFormat: async () => "m/d/yyyy",
};
// The task pane's config (xlwings Server's defaults) and its HTTP helper (axios-like errors).
globalThis.config = {
  customFunctionsMaxRetries: 3,
  customFunctionsRetryCodes: [500, 502, 503, 504],
  requestTimeout: 60,
  onWasm: false,
};
globalThis.xwRequest = {
  post: async (url, body, options) => {
    requests += 1;
    const reply = await fetch(url, {
      method: "POST",
      headers: options.headers,
      body: JSON.stringify(body),
    });
    const text = await reply.text();
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    if (!reply.ok) {
      const error = new Error(`HTTP ${reply.status}`);
      error.response = { status: reply.status, data, statusText: reply.statusText };
      throw error;
    }
    return { data };
  },
};

vm.runInThisContext(fs.readFileSync(codePath, "utf8"), { filename: "custom-functions-code.js" });

(async () => {
  const calls = JSON.parse(fs.readFileSync(callsPath, "utf8"));
  for (const call of calls) {
    culture = call.culture || "en-US";
    requests = 0;
    const invocation = { address: "Sheet1!B2", setResult: () => {} };
    const line = { name: call.name };
    try {
      line.value = await registered[call.name](...call.args, invocation);
    } catch (error) {
      line.error = error instanceof CustomFunctionsError
        ? { code: error.code, message: error.message }
        : { unexpected: String(error) };
    }
    line.requests = requests;
    console.log(JSON.stringify(line));
  }
})();
