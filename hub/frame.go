package hub

// Websocket frames (RFC 6455, section 5.2) as a server sends them: final, unmasked, no extensions. A
// server's frame for a message is the same bytes for every connection, so the hub encodes it once per
// message and hands it to every FrameWriter, which writes it with one system call and no copy.

// Frame opcodes.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// maxFrameHeader is the longest header: 2 bytes and a 64-bit length.
const maxFrameHeader = 10

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
	return &message{data: data, kind: k, frame: AppendFrame(make([]byte, 0, maxFrameHeader+len(data)), op, data)}
}
