package sidecar

import "sidecar.dev/sidecar/sidecarv1"

// ToolChoiceAuto lets the model decide whether to call one of the request's tools.
func ToolChoiceAuto() *sidecarv1.ToolChoice {
	return toolChoiceMode(sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO)
}

// ToolChoiceNone forbids tool calls (the tools stay visible to the model).
func ToolChoiceNone() *sidecarv1.ToolChoice {
	return toolChoiceMode(sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE)
}

// ToolChoiceRequired makes the model call at least one tool.
func ToolChoiceRequired() *sidecarv1.ToolChoice {
	return toolChoiceMode(sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED)
}

// ToolChoiceFunction makes the model call the named tool.
func ToolChoiceFunction(name string) *sidecarv1.ToolChoice {
	return &sidecarv1.ToolChoice{Choice: &sidecarv1.ToolChoice_FunctionName{FunctionName: name}}
}

func toolChoiceMode(m sidecarv1.ToolChoiceMode) *sidecarv1.ToolChoice {
	return &sidecarv1.ToolChoice{Choice: &sidecarv1.ToolChoice_Mode{Mode: m}}
}

// SystemMessage is a ROLE_SYSTEM message.
func SystemMessage(content string) *sidecarv1.Message {
	return &sidecarv1.Message{Role: sidecarv1.Role_ROLE_SYSTEM, Content: content}
}

// UserMessage is a ROLE_USER message.
func UserMessage(content string) *sidecarv1.Message {
	return &sidecarv1.Message{Role: sidecarv1.Role_ROLE_USER, Content: content}
}

// ToolMessage is the ROLE_TOOL answer to the tool call whose id is toolCallID.
func ToolMessage(toolCallID, content string) *sidecarv1.Message {
	return &sidecarv1.Message{Role: sidecarv1.Role_ROLE_TOOL, ToolCallId: toolCallID, Content: content}
}
