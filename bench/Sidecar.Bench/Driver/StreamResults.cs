namespace Sidecar.Bench.Driver;

internal static class StreamResults
{
    public static StreamSample Check(long start, long first, long last, List<double> relay, int chunks, int expectedChunks, bool finished)
    {
        string? error = null;
        if (chunks != expectedChunks)
        {
            error = $"{chunks} content chunks, expected {expectedChunks}";
        }
        else if (!finished)
        {
            error = "no final chunk with finish reason and usage";
        }

        return new StreamSample(Ticks.ToMicros(first - start), Ticks.ToMicros(last - start), relay.ToArray(), chunks, error);
    }
}
