package pay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"path"
	"strings"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// imageTypes are the formats the upload takes ("媒体图片只支持jpg、png、bmp格式",
// wechatpay-go fileuploader doc), by extension, with the type their bytes must sniff as.
var imageTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp",
}

// UploadImage keeps caller's image after checking it is what its meta says.
func (s *Complaints) UploadImage(ctx context.Context, caller, filename, sum string, data []byte) (*Image, error) {
	want, ok := imageTypes[strings.ToLower(path.Ext(filename))]
	got := sha256.Sum256(data)
	switch {
	case filename == "":
		return nil, ParamError("meta.filename", "字段必填", nil)
	case !ok:
		return nil, ParamError("meta.filename", "图片只支持jpg、png、bmp格式", filename)
	case len(data) == 0:
		return nil, ParamError("file", "文件内容为空", nil)
	case len(data) > MaxImageSize:
		return nil, ParamError("file", "图片大小不能超过2M", len(data))
	case !strings.EqualFold(sum, hex.EncodeToString(got[:])):
		return nil, ParamError("meta.sha256", "文件摘要与文件内容不一致", sum)
	case http.DetectContentType(data) != want:
		return nil, ParamError("file", "文件内容不是"+want+"图片", filename)
	}
	now := s.clock.Now()
	im := &Image{
		MediaID: wxcrypto.Nonce(64), Mchid: caller, Filename: filename, ContentType: want,
		Data: data, CreateTime: now,
	}
	err := s.store.Update(ctx, func(tx Tx) error { return tx.InsertImage(ctx, im) })
	if err != nil {
		return nil, err
	}
	return im, nil
}

// Image returns caller's image; another merchant's is as absent as a missing one.
func (s *Complaints) Image(ctx context.Context, caller, mediaID string) (*Image, error) {
	var out *Image
	err := s.store.View(ctx, func(tx Tx) error {
		im, err := tx.Image(ctx, mediaID)
		if errors.Is(err, ErrNotFound) || (err == nil && im.Mchid != caller) {
			return Errorf(CodeResourceNotExists, "图片不存在")
		}
		out = im
		return err
	})
	return out, err
}

// SetNotifyURL creates (create) or changes caller's complaint notification URL:
// creating one that exists, or changing one that does not, is refused.
func (s *Complaints) SetNotifyURL(ctx context.Context, caller, url string, create bool) error {
	if url == "" {
		return ParamError("url", "字段必填", nil)
	}
	if err := notifyURL(url); err != nil {
		e := err.(*Error)
		return ParamError("url", e.Issue, url)
	}
	return s.store.Update(ctx, func(tx Tx) error {
		_, err := tx.ComplaintNotifyURL(ctx, caller)
		switch {
		case err == nil && create:
			return Errorf(CodeInvalidRequest, "投诉通知回调地址已存在，请使用更新接口")
		case errors.Is(err, ErrNotFound) && !create:
			return Errorf(CodeResourceNotExists, "投诉通知回调地址不存在")
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		return tx.PutComplaintNotifyURL(ctx, caller, url)
	})
}

// NotifyURL returns caller's complaint notification URL.
func (s *Complaints) NotifyURL(ctx context.Context, caller string) (string, error) {
	var url string
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		url, err = tx.ComplaintNotifyURL(ctx, caller)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, "投诉通知回调地址不存在")
		}
		return err
	})
	return url, err
}

// DeleteNotifyURL removes caller's complaint notification URL.
func (s *Complaints) DeleteNotifyURL(ctx context.Context, caller string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		err := tx.DeleteComplaintNotifyURL(ctx, caller)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, "投诉通知回调地址不存在")
		}
		return err
	})
}
