using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests.Operations;

/// <summary>The test kit's exposition-format parser, on text written by hand from the format's specification.</summary>
public sealed class PrometheusTextTests
{
    private const string Exposition = """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # A comment that is neither HELP nor TYPE.
        msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
        metric_without_labels 12.47
        # TYPE latency_seconds histogram
        latency_seconds_bucket{le="0.5",route="/a"} 2
        latency_seconds_bucket{le="+Inf",route="/a"} 3
        latency_seconds_bucket{le="0.1",route="/a"} 1
        latency_seconds_sum{route="/a"} 1.25
        latency_seconds_count{route="/a"} 3
        trailing_comma{a="1",} -Inf
        not_a_number NaN
        """;

    [Fact]
    public void Samples_carry_their_labels_and_values_and_types_are_read_from_type_lines()
    {
        var text = PrometheusText.Parse(Exposition);

        Assert.Equal(1027, text.Value("http_requests_total", ("code", "200")));
        Assert.Equal(3, text.Value("http_requests_total", ("method", "post"), ("code", "400")));
        Assert.Equal(12.47, text.Value("metric_without_labels"));
        Assert.Equal(double.NegativeInfinity, text.Value("trailing_comma", ("a", "1")));
        Assert.True(double.IsNaN(text.Value("not_a_number")));
        Assert.Equal(("counter", "histogram"), (text.Types["http_requests_total"], text.Types["latency_seconds"]));
        Assert.Equal(11, text.Samples.Count);
    }

    [Fact]
    public void Escapes_in_label_values_are_undone()
    {
        var sample = Assert.Single(PrometheusText.Parse(Exposition).Where("msdos_file_access_time_seconds"));

        Assert.Equal(@"C:\DIR\FILE.TXT", sample.Labels["path"]);
        Assert.Equal("Cannot find file:\n\"FILE.TXT\"", sample.Labels["error"]);
        Assert.Equal(1.458255915e9, sample.Value);
    }

    [Fact]
    public void A_histogram_is_its_count_sum_and_buckets_in_bound_order()
    {
        var histogram = PrometheusText.Parse(Exposition).Histogram("latency_seconds", ("route", "/a"));

        Assert.Equal((3, 1.25), (histogram.Count, histogram.Sum));
        Assert.Equal([(0.1, 1.0), (0.5, 2.0), (double.PositiveInfinity, 3.0)], histogram.Buckets);
    }

    [Fact]
    public void Ambiguous_or_absent_series_are_errors_and_an_absent_counter_reads_zero()
    {
        var text = PrometheusText.Parse(Exposition);

        Assert.Throws<InvalidOperationException>(() => text.Value("http_requests_total"));
        Assert.Throws<InvalidOperationException>(() => text.Value("absent_total"));
        Assert.Equal(0, text.ValueOrZero("absent_total"));
    }

    [Theory]
    [InlineData("name{a=\"1\" 2")]
    [InlineData("name{a=1} 2")]
    [InlineData("name 1 2 3")]
    [InlineData("name one")]
    public void Malformed_lines_are_refused(string line)
    {
        Assert.ThrowsAny<FormatException>(() => PrometheusText.Parse(line));
    }
}
