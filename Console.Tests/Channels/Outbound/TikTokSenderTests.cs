using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Tests.Fakes;
using static OperatorConsole.Tests.Channels.Outbound.SenderTestHost;

namespace OperatorConsole.Tests.Channels.Outbound;

/// <summary>The real TikTok sender over real HTTP against the fake TikTok Business API.</summary>
public class TikTokSenderTests
{
    private static async Task<SendResult> SendAsync(FakeTikTokApi tikTok, OutboundContent content)
    {
        await using var host = Create(tikTok: tikTok.BaseUrl);
        return await host.For(ChannelKind.TikTok).SendAsync(Request(ChannelKind.TikTok, content), CancellationToken.None);
    }

    [Fact]
    public async Task Text_is_sent_to_the_conversation_with_the_access_token_header_and_returns_the_message_id()
    {
        await using var tikTok = await FakeTikTokApi.StartAsync();
        var result = await SendAsync(tikTok, new() { Text = "¡Hola! Gracias por escribir." });
        Assert.True(result.Succeeded);
        Assert.StartsWith("tt.FAKE", result.ExternalId);
        var sent = Assert.Single(tikTok.Requests);
        Assert.Equal(FakeTikTokApi.SendPath, sent.Path);
        Assert.Equal(Token, sent.AccessToken);
        AssertJson($$"""
            {"business_id":"{{TikTokBusinessId}}","recipient_type":"CONVERSATION","recipient":"conversation-77",
             "message_type":"TEXT","text":{"body":"¡Hola! Gracias por escribir."} }
            """, sent.Body);
    }

    [Fact]
    public async Task Reply_buttons_are_sent_as_numbered_text()
    {
        await using var tikTok = await FakeTikTokApi.StartAsync();
        await SendAsync(tikTok, new() { Buttons = new("¿Te agendo?", [new("si", "Sí"), new("no", "No"), new("luego", "Más tarde"), new("x", "Otro día")]) });
        Assert.Equal("¿Te agendo?\n\n1. Sí\n2. No\n3. Más tarde\n4. Otro día", Assert.Single(tikTok.Requests).Body!["text"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_non_zero_code_is_a_permanent_failure_with_tiktoks_message()
    {
        await using var tikTok = await FakeTikTokApi.StartAsync();
        tikTok.FailNext(new TikTokError(40002, "recipient: conversation not found"));
        var result = await SendAsync(tikTok, new() { Text = "hola" });
        Assert.False(result.Succeeded);
        Assert.Equal(SendFailureKind.Permanent, result.Failure!.Kind);
        Assert.Equal("40002", result.Failure.Code);
        Assert.StartsWith("recipient: conversation not found (request_id ", result.Failure.Message);
    }

    [Theory]
    [InlineData(40100, "Too many requests", 200, SendFailureKind.Retryable)]
    [InlineData(40016, "The request frequency exceeds the limit", 200, SendFailureKind.Retryable)]
    [InlineData(50000, "Internal service error", 200, SendFailureKind.Retryable)]
    [InlineData(40002, "Invalid parameter", 503, SendFailureKind.Retryable)]
    [InlineData(40105, "Access token is incorrect or has been revoked", 200, SendFailureKind.TokenExpired)]
    public async Task Rate_limits_and_server_errors_are_retryable_and_a_revoked_token_is_token_expired(int code, string message, int status,
        SendFailureKind expected)
    {
        await using var tikTok = await FakeTikTokApi.StartAsync();
        tikTok.FailNext(new TikTokError(code, message, status));
        Assert.Equal(expected, (await SendAsync(tikTok, new() { Text = "hola" })).Failure!.Kind);
    }

    [Theory]
    [MemberData(nameof(NotForTikTok))]
    public async Task Media_templates_and_long_text_fail_permanently_without_calling_tiktok(OutboundContent content, string problem)
    {
        await using var tikTok = await FakeTikTokApi.StartAsync();
        var result = await SendAsync(tikTok, content);
        Assert.Equal(SendFailureKind.Permanent, result.Failure!.Kind);
        Assert.Contains(problem, result.Failure.Message);
        Assert.Empty(tikTok.Requests);
    }

    public static TheoryData<OutboundContent, string> NotForTikTok() => new()
    {
        { new() { Media = new("image", "https://cdn.example/a.jpg", null, null, null) }, "TikTok business messages can only be text" },
        { new() { Template = new("recordatorio", "es_MX", []) }, "templates are WhatsApp-only" },
        { new() { Text = new string('t', 1001) }, "text: at most 1000 characters, got 1001" },
    };

    [Fact]
    public async Task An_unreachable_tiktok_is_retryable()
    {
        var tikTok = await FakeTikTokApi.StartAsync();
        var closed = tikTok.BaseUrl;
        await tikTok.DisposeAsync();
        await using var host = Create(tikTok: closed);
        var result = await host.For(ChannelKind.TikTok).SendAsync(Request(ChannelKind.TikTok, new() { Text = "hola" }), CancellationToken.None);
        Assert.Equal(SendFailureKind.Retryable, result.Failure!.Kind);
    }

    [Fact]
    public async Task The_access_token_never_reaches_the_logs()
    {
        await using var tikTok = await FakeTikTokApi.StartAsync();
        tikTok.FailNext(new TikTokError(40002, "Invalid parameter"));
        await using var host = Create(tikTok: tikTok.BaseUrl);
        await host.For(ChannelKind.TikTok).SendAsync(Request(ChannelKind.TikTok, new() { Text = "hola" }), CancellationToken.None);
        Assert.Contains(host.Logs.Lines, l => l.Contains("Access-Token"));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(Token));
    }
}
