namespace Sidecar.FunctionalTests;

internal static class Requests
{
    public static CompleteRequest Fake(string model, string content = "alpha beta gamma") => new()
    {
        KeyRef = "fake",
        Model = model,
        Messages = { new Message { Role = Role.User, Content = content } },
    };

    public static CompleteRequest Echo(string content) => new()
    {
        KeyRef = "echo",
        Model = "echo-1",
        Messages = { new Message { Role = Role.User, Content = content } },
    };
}
