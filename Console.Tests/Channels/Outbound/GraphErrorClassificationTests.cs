using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Tests.Fakes;
using static OperatorConsole.Tests.Channels.Outbound.SenderTestHost;

namespace OperatorConsole.Tests.Channels.Outbound;

/// <summary>Graph errors, timeouts and network failures become classified results, never exceptions.</summary>
public class GraphErrorClassificationTests
{
    private static async Task<SendResult> SendThroughAsync(FakeGraphApi graph, ChannelKind kind = ChannelKind.WhatsApp, TimeSpan? timeout = null)
    {
        await using var host = Create(graph: graph.BaseUrl, timeout: timeout);
        return await host.For(kind).SendAsync(Request(kind, new() { Text = "hola" }), CancellationToken.None);
    }

    [Theory]
    [InlineData(131047, 400, SendFailureKind.WindowClosed)]
    [InlineData(131026, 400, SendFailureKind.Permanent)]
    [InlineData(130429, 400, SendFailureKind.Retryable)]
    [InlineData(131056, 400, SendFailureKind.RetryableForRecipient)]
    [InlineData(190, 401, SendFailureKind.TokenExpired)]
    [InlineData(100, 400, SendFailureKind.Permanent)]
    [InlineData(131009, 400, SendFailureKind.Permanent)]
    [InlineData(368, 403, SendFailureKind.Policy)]
    // Branch on the code, not the status: a 131047 is a closed window whatever status carries it.
    [InlineData(131047, 500, SendFailureKind.WindowClosed)]
    [InlineData(131026, 500, SendFailureKind.Permanent)]
    // An unknown code: the status decides.
    [InlineData(999999, 400, SendFailureKind.Permanent)]
    [InlineData(999999, 503, SendFailureKind.Retryable)]
    public async Task Each_whatsapp_error_code_is_classified_and_keeps_metas_message(int code, int status, SendFailureKind expected)
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(code, status, $"(#{code}) Meta says no", Details: "Because of reasons."));
        var result = await SendThroughAsync(graph);
        Assert.False(result.Succeeded);
        Assert.Null(result.ExternalId);
        Assert.Equal(expected, result.Failure!.Kind);
        Assert.Equal(code.ToString(), result.Failure.Code);
        Assert.Equal($"(#{code}) Meta says no: Because of reasons.", result.Failure.Message);
    }

    [Fact]
    public async Task Details_equal_to_the_message_are_not_repeated()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(131047, Message: "Re-engagement message"));
        var result = await SendThroughAsync(graph);
        Assert.Equal("Re-engagement message", result.Failure!.Message);
    }

    [Theory]
    [InlineData(10, 2018278)]
    [InlineData(100, 2018108)]
    [InlineData(551, null)]
    [InlineData(10, 2534022)]
    public async Task Messenger_and_instagram_window_errors_are_window_closed(int code, int? subcode)
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(code, Message: "(#10) This message is sent outside of allowed window.", Subcode: subcode));
        var result = await SendThroughAsync(graph, ChannelKind.Messenger);
        Assert.Equal(SendFailureKind.WindowClosed, result.Failure!.Kind);
        Assert.Equal("(#10) This message is sent outside of allowed window.", result.Failure.Message);
    }

    [Fact]
    public async Task Code_10_without_the_window_subcode_is_a_permanent_permission_error()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(10, 403, "(#10) Application does not have permission for this action"));
        Assert.Equal(SendFailureKind.Permanent, (await SendThroughAsync(graph, ChannelKind.Instagram)).Failure!.Kind);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task An_unreadable_error_page_with_a_5xx_or_429_status_is_retryable(int status)
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.AnswerNextRaw(status, "<html><body>Bad Gateway</body></html>");
        var result = await SendThroughAsync(graph);
        Assert.Equal(SendFailureKind.Retryable, result.Failure!.Kind);
        Assert.Equal($"http_{status}", result.Failure.Code);
    }

    [Fact]
    public async Task An_unreadable_error_page_with_a_4xx_status_is_permanent()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.AnswerNextRaw(404, "Not Found", "text/plain");
        Assert.Equal(SendFailureKind.Permanent, (await SendThroughAsync(graph)).Failure!.Kind);
    }

    [Fact]
    public async Task Retry_after_is_honoured_on_a_throttled_send()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(130429, 429, "(#130429) Rate limit hit", RetryAfterSeconds: 42));
        var result = await SendThroughAsync(graph);
        Assert.Equal(SendFailureKind.Retryable, result.Failure!.Kind);
        Assert.Equal(TimeSpan.FromSeconds(42), result.Failure.RetryAfter);
    }

    [Fact]
    public async Task Retry_after_is_honoured_for_a_single_recipient_limit()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(131056, 400, "(#131056) Pair rate limit hit", RetryAfterSeconds: 7));
        var result = await SendThroughAsync(graph);
        Assert.Equal(SendFailureKind.RetryableForRecipient, result.Failure!.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), result.Failure.RetryAfter);
    }

    [Fact]
    public async Task Retry_after_on_a_permanent_failure_is_not_passed_on()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(100, 400, "(#100) Invalid parameter", RetryAfterSeconds: 30));
        Assert.Null((await SendThroughAsync(graph)).Failure!.RetryAfter);
    }

    [Fact]
    public async Task A_send_that_gets_no_answer_in_time_is_retryable_and_does_not_throw()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.DelayNext(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        var result = await SendThroughAsync(graph, timeout: TimeSpan.FromMilliseconds(500));
        Assert.Equal(SendFailureKind.Retryable, result.Failure!.Kind);
        Assert.Equal("timeout", result.Failure.Code);
        Assert.Contains("did not answer within 0.5 s", result.Failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_named_clients_time_out_after_15_seconds()
    {
        await using var host = Create();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();
        Assert.Equal(TimeSpan.FromSeconds(15), factory.CreateClient("graph").Timeout);
        Assert.Equal(TimeSpan.FromSeconds(15), factory.CreateClient("tiktok").Timeout);
    }

    [Fact]
    public async Task A_caller_cancelling_still_throws()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.DelayNext(TimeSpan.FromSeconds(30));
        await using var host = Create(graph: graph.BaseUrl);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            host.For(ChannelKind.WhatsApp).SendAsync(Request(ChannelKind.WhatsApp, new() { Text = "hola" }), cts.Token));
    }

    [Fact]
    public async Task An_unreachable_graph_is_retryable_and_does_not_throw()
    {
        var graph = await FakeGraphApi.StartAsync();
        var closed = graph.BaseUrl;
        await graph.DisposeAsync();
        await using var host = Create(graph: closed);
        var result = await host.For(ChannelKind.WhatsApp).SendAsync(Request(ChannelKind.WhatsApp, new() { Text = "hola" }), CancellationToken.None);
        Assert.Equal(SendFailureKind.Retryable, result.Failure!.Kind);
        Assert.Equal("network", result.Failure.Code);
    }

    [Fact]
    public async Task One_failure_is_answered_once_and_the_next_send_goes_through()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(130429, 400, "(#130429) Rate limit hit"));
        await using var host = Create(graph: graph.BaseUrl);
        var sender = host.For(ChannelKind.WhatsApp);
        var request = Request(ChannelKind.WhatsApp, new() { Text = "hola" });
        Assert.False((await sender.SendAsync(request, CancellationToken.None)).Succeeded);
        // No HTTP-level retry: the failed attempt was one POST, and the caller's retry is the second.
        Assert.Single(graph.Sends);
        Assert.True((await sender.SendAsync(request, CancellationToken.None)).Succeeded);
        Assert.Equal(2, graph.Sends.Count);
    }

    [Theory]
    [InlineData("""{"error":{"message":"(#100) Invalid parameter","code":"100","error_data":"{\"details\":\"Param text['body'] is required\"}"}}""",
        SendFailureKind.Permanent, "(#100) Invalid parameter: Param text['body'] is required")]
    [InlineData("""{"error":{"message":"Unknown","code":1,"is_transient":true}}""", SendFailureKind.Retryable, "Unknown")]
    [InlineData("""{"error":{"message":"Weird","code":12345,"is_transient":true}}""", SendFailureKind.Retryable, "Weird")]
    [InlineData("""{"error":{"code":131031}}""", SendFailureKind.Policy, "Meta error 131031")]
    [InlineData("""{"error":{"message":"Calls to this api have exceeded the rate limit.","code":613}}""", SendFailureKind.Retryable,
        "Calls to this api have exceeded the rate limit.")]
    public void Tolerant_reading_of_error_bodies(string body, SendFailureKind kind, string message)
    {
        var failure = GraphErrorClassifier.Classify(400, body);
        Assert.Equal(kind, failure.Kind);
        Assert.Equal(message, failure.Message);
    }

    [Fact]
    public void An_empty_5xx_body_is_retryable() =>
        Assert.Equal(SendFailureKind.Retryable, GraphErrorClassifier.Classify(502, "").Kind);

    [Fact]
    public void A_retry_after_date_is_measured_from_the_responses_own_date()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        var sent = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        response.Headers.Date = sent;
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(sent.AddMinutes(2));
        // The local clock is an hour off; the answer's own Date keeps the wait right.
        var failure = GraphErrorClassifier.Classify(response, "", sent.AddHours(1));
        Assert.Equal(SendFailureKind.Retryable, failure.Kind);
        Assert.Equal(TimeSpan.FromMinutes(2), failure.RetryAfter);
    }
}
