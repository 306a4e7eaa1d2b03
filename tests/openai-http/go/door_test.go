// Go's net/http over the daemon's openai.sock, with a Unix DialContext: the standard library only,
// as an agent with its own OpenAI wire code (or an SDK that takes an *http.Client) would call it.
// README, "Use it from an existing OpenAI agent", shows the same client.
package openaihttp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openaiSocket(t *testing.T) string {
	if s := os.Getenv("SIDECAR_OPENAI_SOCKET"); s != "" {
		return s
	}
	grpcSocket := os.Getenv("SIDECAR_SOCKET")
	if grpcSocket == "" {
		t.Fatal("set SIDECAR_SOCKET (run through tests/conformance/with-daemon.sh) or SIDECAR_OPENAI_SOCKET")
	}
	return filepath.Join(filepath.Dir(grpcSocket), "openai.sock")
}

// unixClient is the README's Go client: every request goes to the socket, whatever the URL's host.
func unixClient(socket string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
}

type completion struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func post(t *testing.T, client *http.Client, body string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "POST", "http://localhost/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer fake") // the key_ref
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestUnary_AnswersAChatCompletion(t *testing.T) {
	resp := post(t, unixClient(openaiSocket(t)), `{"model":"fake-1","messages":[{"role":"user","content":"ping"}]}`)

	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var answer completion
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	if answer.Object != "chat.completion" || answer.Model != "fake-1" || len(answer.Choices) != 1 {
		t.Fatalf("unexpected completion %+v", answer)
	}
	choice := answer.Choices[0]
	if choice.Message.Role != "assistant" || choice.Message.Content != "fake: ping" || choice.FinishReason == nil || *choice.FinishReason != "stop" {
		t.Fatalf("unexpected choice %+v", choice)
	}
	if answer.Usage == nil || answer.Usage.PromptTokens != 1 || answer.Usage.CompletionTokens != 2 || answer.Usage.TotalTokens != 3 {
		t.Fatalf("unexpected usage %+v", answer.Usage)
	}
}

func TestStream_ReadsChunksThenUsageThenDone(t *testing.T) {
	resp := post(t, unixClient(openaiSocket(t)), `{"model":"fake-1","messages":[{"role":"user","content":"one two three"}],"stream":true,"stream_options":{"include_usage":true}}`)

	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var text strings.Builder
	var finish []string
	var chunks []completion
	done := false
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		line := scanner.Bytes()
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		data := line[len("data: "):]
		if done {
			t.Fatalf("data after [DONE]: %s", data)
		}
		if string(data) == "[DONE]" {
			done = true
			continue
		}
		var chunk completion
		if err := json.Unmarshal(data, &chunk); err != nil {
			t.Fatal(err)
		}
		if chunk.Object != "chat.completion.chunk" {
			t.Fatalf("unexpected object %q", chunk.Object)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
			if c.FinishReason != nil {
				finish = append(finish, *c.FinishReason)
			}
		}
		chunks = append(chunks, chunk)
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}

	if !done {
		t.Fatal("the stream ended without [DONE]")
	}
	if text.String() != "fake: one two three" || len(finish) != 1 || finish[0] != "stop" {
		t.Fatalf("text %q, finish reasons %v", text.String(), finish)
	}
	last := chunks[len(chunks)-1]
	if len(last.Choices) != 0 || last.Usage == nil || last.Usage.PromptTokens != 3 || last.Usage.CompletionTokens != 4 || last.Usage.TotalTokens != 7 {
		t.Fatalf("the last chunk is not the usage chunk: %+v", last)
	}
	for _, chunk := range chunks[:len(chunks)-1] {
		if chunk.Usage != nil {
			t.Fatalf("usage before the last chunk: %+v", chunk)
		}
	}
}

func TestModels_ListsWhatTheKeyRefMayUse(t *testing.T) {
	req, err := http.NewRequest("GET", "http://localhost/v1/models", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer fake")
	resp, err := unixClient(openaiSocket(t)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range list.Data {
		ids[m.ID] = true
	}
	if resp.StatusCode != 200 || list.Object != "list" || len(ids) != 2 || !ids["fake-1"] || !ids["fake-tools"] {
		t.Fatalf("status %d, list %+v", resp.StatusCode, list)
	}
}
