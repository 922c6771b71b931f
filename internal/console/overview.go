package console

import "net/http"

type overviewData struct{}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, "overview", overviewData{})
}
