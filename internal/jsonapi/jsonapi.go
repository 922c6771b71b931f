// Package jsonapi is the HTTP plumbing shared by tuikuan's JSON APIs, WeChat Pay's
// APIv3 and the sandbox control API, and by the listener they sit on: the middleware
// every request passes (Request-ID, panic recovery, access log), the routing in front of
// the muxes, WeChat Pay's JSON error envelope with its code → status table, the strict
// JSON decoder and the request body limit. The sandbox answers in the same envelope so
// that one client-side error path serves both APIs; what only APIv3 does (signatures,
// signed answers, the lenient switch) stays in package apiv3.
package jsonapi

// MaxBody bounds a JSON request body; no request of either API comes near it.
const MaxBody = 1 << 20
