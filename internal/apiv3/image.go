package apiv3

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// maxUpload bounds a multipart upload: a 2 MB image, its meta and the part headers.
const maxUpload = pay.MaxImageSize + 64<<10

// bodyLimit is how much of r's body handle reads.
func bodyLimit(r *http.Request) int64 {
	if isMultipart(r) {
		return maxUpload
	}
	return jsonapi.MaxBody
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// upload is a parsed image upload: the meta part as sent, and the file.
type upload struct {
	meta     []byte
	filename string
	file     []byte
}

// parseUpload reads the meta and file parts, in either order: wechatpay-go writes meta
// first, gopay in map order (docs/wire.md#sdk-models).
func parseUpload(r *http.Request, body []byte) (*upload, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, pay.Errorf(pay.CodeInvalidRequest, "multipart/form-data请求缺少boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	u := &upload{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, pay.Errorf(pay.CodeInvalidRequest, "multipart/form-data请求体无法解析：%v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, pay.Errorf(pay.CodeInvalidRequest, "multipart/form-data请求体无法解析：%v", err)
		}
		switch p.FormName() {
		case "meta":
			u.meta = data
		case "file":
			u.file, u.filename = data, p.FileName()
		}
	}
	if u.meta == nil {
		return nil, pay.ParamError("meta", "字段必填", nil)
	}
	return u, nil
}

// signedBody is what a request's signature covers: the body, or for a multipart upload
// the meta part's JSON ("签名串中的请求报文主体为meta的json串", docs/wire.md#request-signatures).
func signedBody(r *http.Request, body []byte) ([]byte, error) {
	if !isMultipart(r) {
		return body, nil
	}
	u, err := parseUpload(r, body)
	if err != nil {
		return nil, err
	}
	return u.meta, nil
}

type imageMeta struct {
	Filename *string `json:"filename"`
	Sha256   *string `json:"sha256"`
}

func (a *api) uploadImage(c *call) (any, error) {
	if !isMultipart(c.Request) {
		return nil, pay.Errorf(pay.CodeInvalidRequest, "Content-Type必须为multipart/form-data")
	}
	u, err := parseUpload(c.Request, c.body)
	if err != nil {
		return nil, err
	}
	var meta imageMeta
	if err := jsonapi.Decode(u.meta, "", a.strict, &meta); err != nil {
		return nil, err
	}
	if meta.Sha256 == nil {
		return nil, pay.ParamError("meta.sha256", "字段必填", nil)
	}
	im, err := a.svc.Complaints.UploadImage(c.Context(), c.merchant.Mchid, str(meta.Filename), *meta.Sha256, u.file)
	if err != nil {
		return nil, err
	}
	return struct {
		MediaID string `json:"media_id"`
	}{im.MediaID}, nil
}

// rawBody is an answer that is not JSON: a downloaded image.
type rawBody struct {
	contentType string
	data        []byte
}

// downloadImage answers with the image's bytes, as the real API is believed to do
// (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html,
// unconfirmed); gopay v1.5.115's V3ComplaintImage takes an image/* answer as ImageData.
func (a *api) downloadImage(c *call) (any, error) {
	im, err := a.svc.Complaints.Image(c.Context(), c.merchant.Mchid, strings.TrimSpace(c.PathValue("media_id")))
	if err != nil {
		return nil, err
	}
	return rawBody{contentType: im.ContentType, data: im.Data}, nil
}
