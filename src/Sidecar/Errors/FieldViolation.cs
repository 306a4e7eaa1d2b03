namespace Sidecar.Errors;

/// <summary>One bad field of a request: <c>Field</c> is a path such as <c>messages[3].role</c>.</summary>
internal readonly record struct FieldViolation(string Field, string Description);
