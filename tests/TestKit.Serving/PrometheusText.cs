using System.Globalization;
using System.Text;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// A scrape in the Prometheus text exposition format (version 0.0.4), parsed, so tests assert on metric names,
/// labels and values rather than on the text: # TYPE lines give each family's type; every other non-comment line
/// is a sample, name{label="value",...} value [timestamp], with \\, \" and \n escapes in label values.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Metric family name to its declared type (counter, gauge, histogram, summary, untyped).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line["# TYPE ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                types[parts[0]] = parts.Length == 2 ? parts[1] : throw new FormatException($"line {number}: malformed TYPE: {line}");
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                samples.Add(ParseSample(line, number));
            }
        }

        return new PrometheusText(samples, types);
    }

    /// <summary>The samples named <paramref name="name"/> carrying all of <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> Where(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(sample => sample.Name == name && sample.Has(labels));

    /// <summary>The one sample of that name and labels; fails naming what there is when there is none or several.</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = Where(name, labels).ToList();
        return matches.Count == 1
            ? matches[0].Value
            : throw new InvalidOperationException(
                $"{matches.Count} samples of {name} with {string.Join(",", labels.Select(l => $"{l.Name}={l.Value}"))}; the scrape has: "
                + string.Join(" ", Samples.Select(s => s.Name).Distinct()));
    }

    /// <summary>The value, or 0 when the series is absent (a counter nobody incremented yet is not exported).</summary>
    public double ValueOrZero(string name, params (string Name, string Value)[] labels) =>
        Where(name, labels).Select(sample => sample.Value).DefaultIfEmpty(0).Single();

    /// <summary>A histogram family's series: _count, _sum and the cumulative _bucket counts by upper bound.</summary>
    public PrometheusHistogram Histogram(string family, params (string Name, string Value)[] labels)
    {
        var buckets = Where(family + "_bucket", labels)
            .Select(sample => (Bound: ParseValue(sample.Labels["le"]), Count: sample.Value))
            .OrderBy(bucket => bucket.Bound)
            .ToList();
        return new PrometheusHistogram(ValueOrZero(family + "_count", labels), ValueOrZero(family + "_sum", labels), buckets);
    }

    private static PrometheusSample ParseSample(string line, int number)
    {
        var nameEnd = line.IndexOfAny(['{', ' ']);
        if (nameEnd <= 0)
        {
            throw new FormatException($"line {number}: no metric name: {line}");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var position = nameEnd;
        if (line[position] == '{')
        {
            position = ParseLabels(line, position + 1, labels, number);
        }

        var fields = line[position..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 2)
        {
            throw new FormatException($"line {number}: expected a value and an optional timestamp: {line}");
        }

        return new PrometheusSample(line[..nameEnd], labels, ParseValue(fields[0]));
    }

    /// <returns>The position after the closing brace.</returns>
    private static int ParseLabels(string line, int position, Dictionary<string, string> labels, int number)
    {
        while (true)
        {
            if (position >= line.Length)
            {
                throw new FormatException($"line {number}: unterminated labels: {line}");
            }

            if (line[position] == '}')
            {
                return position + 1;
            }

            var equals = line.IndexOf('=', position);
            if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
            {
                throw new FormatException($"line {number}: expected name=\"value\" at column {position}: {line}");
            }

            var value = new StringBuilder();
            var i = equals + 2;
            for (; i < line.Length && line[i] != '"'; i++)
            {
                if (line[i] == '\\' && i + 1 < line.Length)
                {
                    i++;
                    value.Append(line[i] == 'n' ? '\n' : line[i]);
                }
                else
                {
                    value.Append(line[i]);
                }
            }

            if (i >= line.Length)
            {
                throw new FormatException($"line {number}: unterminated label value: {line}");
            }

            labels[line[position..equals].Trim()] = value.ToString();
            position = i + 1;
            if (position < line.Length && line[position] == ',')
            {
                position++;
            }
        }
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
