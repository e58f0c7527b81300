package hub

import "unicode/utf8"

// Websocket frames (RFC 6455, section 5.2) as a server sends them: final, unmasked, no extensions.

// Frame opcodes.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// maxFrameHeader is the longest header: 2 bytes and a 64-bit length.
const maxFrameHeader = 10

// maxControlPayload is the most a control frame (close, ping, pong) may carry (RFC 6455, 5.5).
const maxControlPayload = 125

// closeNoStatus is the code that stands for a close frame without one (RFC 6455, 7.1.5): it is
// never sent, an empty close frame is.
const closeNoStatus = 1005

// AppendFrame appends to b the frame of one final, unmasked message with opcode op (1 text, 8 close,
// 9 ping, 10 pong), as a server sends it.
func AppendFrame(b []byte, op byte, payload []byte) []byte {
	n := len(payload)
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, byte(uint64(n)>>56), byte(uint64(n)>>48), byte(uint64(n)>>40), byte(uint64(n)>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}

// closeFrame returns the close frame for code and reason. The reason is cut, at a character
// boundary, to the 123 bytes a control frame has room for after the code; code 1005 (no status)
// gives an empty close frame, which is how a peer's close without a code is echoed.
func closeFrame(code int, reason string) []byte {
	if code == closeNoStatus {
		return AppendFrame(nil, opClose, nil)
	}
	if len(reason) > maxControlPayload-2 {
		reason = reason[:maxControlPayload-2]
		// Drop the bytes of a character the cut went through.
		for len(reason) > 0 {
			if r, size := utf8.DecodeLastRuneInString(reason); r != utf8.RuneError || size > 1 {
				break
			}
			reason = reason[:len(reason)-1]
		}
	}
	payload := append([]byte{byte(code >> 8), byte(code)}, reason...)
	return AppendFrame(make([]byte, 0, 2+len(payload)), opClose, payload)
}

// kind says which frame a message is.
type kind uint8

const (
	kindText kind = iota
	kindPing
	kindPong
)

// newMessage returns a message with its frame encoded.
func newMessage(k kind, data []byte) *message {
	op := byte(opText)
	switch k {
	case kindPing:
		op = opPing
	case kindPong:
		op = opPong
	}
	return &message{kind: k, frame: AppendFrame(make([]byte, 0, maxFrameHeader+len(data)), op, data)}
}
