using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Tests.Fakes;
using static OperatorConsole.Tests.Channels.Outbound.SenderTestHost;

namespace OperatorConsole.Tests.Channels.Outbound;

/// <summary>The real Messenger / Instagram sender over real HTTP against the fake Graph API.</summary>
public class MetaMessagingSenderTests
{
    private static async Task<(SendResult Result, FakeGraphApi Graph)> SendAsync(ChannelKind kind, OutboundContent content, bool humanAgent = false)
    {
        var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        var result = await host.For(kind).SendAsync(Request(kind, content, humanAgent: humanAgent), CancellationToken.None);
        return (result, graph);
    }

    [Fact]
    public async Task Messenger_text_inside_the_window_is_a_response_to_the_page_edge()
    {
        var (result, graph) = await SendAsync(ChannelKind.Messenger, new() { Text = "¡Hola! ¿En qué te ayudo?" });
        await using var _ = graph;
        Assert.True(result.Succeeded);
        Assert.StartsWith("m_FAKE", result.ExternalId);
        var sent = Assert.Single(graph.Sends);
        Assert.Equal($"/v23.0/{PageId}/messages", sent.Path);
        Assert.Equal($"Bearer {Token}", sent.Authorization);
        AssertJson("""
            {"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE","message":{"text":"¡Hola! ¿En qué te ayudo?"}}
            """, sent.Body);
    }

    [Fact]
    public async Task A_human_agents_late_reply_is_tagged_human_agent()
    {
        var (result, graph) = await SendAsync(ChannelKind.Messenger, new() { Text = "Perdón la demora, ya revisé tu caso." }, humanAgent: true);
        await using var _ = graph;
        Assert.True(result.Succeeded);
        AssertJson("""
            {"recipient":{"id":"6543210987654321"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT",
             "message":{"text":"Perdón la demora, ya revisé tu caso."}}
            """, Assert.Single(graph.Sends).Body);
    }

    [Fact]
    public async Task Instagram_sends_through_the_instagram_account_edge()
    {
        var (result, graph) = await SendAsync(ChannelKind.Instagram, new() { Text = "Gracias por escribirnos" });
        await using var _ = graph;
        Assert.True(result.Succeeded);
        var sent = Assert.Single(graph.Sends);
        Assert.Equal($"/v23.0/{InstagramAccountId}/messages", sent.Path);
        AssertJson("""
            {"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE","message":{"text":"Gracias por escribirnos"}}
            """, sent.Body);
    }

    [Fact]
    public async Task Instagram_human_agent_reply_is_tagged_too()
    {
        var (_, graph) = await SendAsync(ChannelKind.Instagram, new() { Text = "Ya quedó" }, humanAgent: true);
        await using var _ = graph;
        var body = Assert.Single(graph.Sends).Body!;
        Assert.Equal("MESSAGE_TAG", body["messaging_type"]!.GetValue<string>());
        Assert.Equal("HUMAN_AGENT", body["tag"]!.GetValue<string>());
    }

    [Fact]
    public async Task Media_by_link_is_a_reusable_attachment_and_a_document_is_a_file()
    {
        var (_, image) = await SendAsync(ChannelKind.Messenger, new() { Media = new("image", "https://cdn.example/a.jpg", null, null, null) });
        await using (image)
        {
            AssertJson("""
                {"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE",
                 "message":{"attachment":{"type":"image","payload":{"url":"https://cdn.example/a.jpg","is_reusable":true}}}}
                """, Assert.Single(image.Sends).Body);
        }
        var (_, document) = await SendAsync(ChannelKind.Instagram, new() { Media = new("document", "https://cdn.example/p.pdf", null, null, "p.pdf") });
        await using (document)
        {
            AssertJson("""
                {"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE",
                 "message":{"attachment":{"type":"file","payload":{"url":"https://cdn.example/p.pdf","is_reusable":true}}}}
                """, Assert.Single(document.Sends).Body);
        }
    }

    [Fact]
    public async Task Reply_buttons_are_sent_as_numbered_text()
    {
        var (result, graph) = await SendAsync(ChannelKind.Messenger, new() { Buttons = new("¿Confirmas tu cita?", [new("si", "Sí"), new("no", "No")]) });
        await using var _ = graph;
        Assert.True(result.Succeeded);
        AssertJson("""
            {"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE","message":{"text":"¿Confirmas tu cita?\n\n1. Sí\n2. No"}}
            """, Assert.Single(graph.Sends).Body);
    }

    [Fact]
    public async Task A_payment_link_is_sent_as_text_naming_the_address()
    {
        var (result, graph) = await SendAsync(ChannelKind.Instagram, new() { Link = new("Limpieza dental: 450 MXN", "Pagar ahora", "https://console.example.test/pay/1") });
        await using var _ = graph;
        Assert.True(result.Succeeded);
        Assert.Equal("Limpieza dental: 450 MXN\n\nPagar ahora: https://console.example.test/pay/1",
            Assert.Single(graph.Sends).Body!["message"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_list_is_sent_as_numbered_text()
    {
        var list = new ListContent("Elige un horario", "Ver horarios", [new ListSection("Mañana", [new("m1", "9:00", "Dra. López"), new("m2", "10:00", null)])]);
        var (_, graph) = await SendAsync(ChannelKind.Instagram, new() { List = list });
        await using var _ = graph;
        Assert.Equal("Elige un horario\n\nMañana\n1. 9:00 — Dra. López\n2. 10:00",
            Assert.Single(graph.Sends).Body!["message"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_template_fails_permanently_as_whatsapp_only_without_calling_meta()
    {
        var (result, graph) = await SendAsync(ChannelKind.Messenger, new() { Template = new("recordatorio", "es_MX", ["Ana"]) });
        await using var _ = graph;
        Assert.Equal(SendFailureKind.Permanent, result.Failure!.Kind);
        Assert.Contains("templates are WhatsApp-only", result.Failure.Message);
        Assert.Empty(graph.Requests);
    }

    [Fact]
    public async Task Text_over_2000_characters_fails_naming_the_limit_without_calling_meta()
    {
        var (result, graph) = await SendAsync(ChannelKind.Messenger, new() { Text = new string('m', 2001) });
        await using var _ = graph;
        Assert.Equal("Not sent: text: at most 2000 characters, got 2001", result.Failure!.Message);
        Assert.Empty(graph.Requests);
    }

    [Fact]
    public async Task An_expired_page_token_is_token_expired()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(190, 400, "Error validating access token: The session has been invalidated", Subcode: 460));
        await using var host = Create(graph: graph.BaseUrl);
        var result = await host.For(ChannelKind.Messenger).SendAsync(Request(ChannelKind.Messenger, new() { Text = "hola" }), CancellationToken.None);
        Assert.Equal(SendFailureKind.TokenExpired, result.Failure!.Kind);
        Assert.Equal("190", result.Failure.Code);
    }
}
