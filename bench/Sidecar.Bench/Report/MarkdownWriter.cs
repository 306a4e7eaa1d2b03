using System.Text;

namespace Sidecar.Bench.Report;

/// <summary>Markdown lines and table rows, '\n' line ends whatever the platform.</summary>
internal sealed class MarkdownWriter
{
    private readonly StringBuilder _text = new();

    public void Line(string line = "") => _text.Append(line).Append('\n');

    public void Heading(string heading)
    {
        Line(heading);
        Line();
    }

    public void Paragraph(string text)
    {
        Line(text);
        Line();
    }

    /// <summary>A table's header row and its alignment row ("l" left, "r" right per column).</summary>
    public void TableHeader(string columns, string alignment)
    {
        Line("| " + columns + " |");
        Line("|" + string.Concat(alignment.Select(a => a == 'r' ? "---:|" : "---|")));
    }

    public void Row(params string[] cells) => Line("| " + string.Join(" | ", cells) + " |");

    public override string ToString() => _text.ToString();
}
