using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Tests.Fakes;
using static OperatorConsole.Tests.Channels.Outbound.SenderTestHost;

namespace OperatorConsole.Tests.Channels.Outbound;

/// <summary>The real WhatsApp sender over real HTTP against the fake Graph API: exact Cloud API bodies.</summary>
public class WhatsAppSenderTests
{
    private static async Task<(SendResult Result, GraphRequest Sent)> SendAsync(OutboundContent content, string? recipient = null, string? replyTo = null)
    {
        await using var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        var result = await host.For(ChannelKind.WhatsApp).SendAsync(Request(ChannelKind.WhatsApp, content, recipient, replyTo), CancellationToken.None);
        return (result, Assert.Single(graph.Sends));
    }

    [Fact]
    public async Task Text_is_posted_to_the_phone_numbers_messages_edge_with_the_bearer_token_and_returns_the_wamid()
    {
        var (result, sent) = await SendAsync(new() { Text = "Hola Ana, tu cita es mañana a las 10:00." });
        Assert.True(result.Succeeded);
        Assert.StartsWith("wamid.FAKE", result.ExternalId);
        Assert.Equal($"/v23.0/{PhoneNumberId}/messages", sent.Path);
        Assert.Equal($"Bearer {Token}", sent.Authorization);
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
             "type":"text","text":{"preview_url":false,"body":"Hola Ana, tu cita es mañana a las 10:00."}}
            """, sent.Body);
    }

    [Fact]
    public async Task A_reply_carries_the_quoted_message_as_context()
    {
        var (_, sent) = await SendAsync(new() { Text = "Claro" }, replyTo: "wamid.IN1");
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","context":{"message_id":"wamid.IN1"},
             "type":"text","text":{"preview_url":false,"body":"Claro"}}
            """, sent.Body);
    }

    [Fact]
    public async Task A_customer_known_only_by_bsuid_is_addressed_through_recipient()
    {
        var (result, sent) = await SendAsync(new() { Text = "Hola" }, recipient: "MX.1349120865530274");
        Assert.True(result.Succeeded);
        Assert.Equal("MX.1349120865530274", sent.Body!["recipient"]!.GetValue<string>());
        Assert.Null(sent.Body["to"]);
    }

    [Fact]
    public async Task Image_by_link_carries_its_caption()
    {
        var (_, sent) = await SendAsync(new() { Media = new("image", "https://cdn.example/sonrisa.jpg", null, "Tu sonrisa nueva", null) });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
             "type":"image","image":{"link":"https://cdn.example/sonrisa.jpg","caption":"Tu sonrisa nueva"}}
            """, sent.Body);
    }

    [Fact]
    public async Task Document_by_media_id_carries_its_file_name_and_caption()
    {
        var (_, sent) = await SendAsync(new() { Media = new("document", null, "1234567890", "Tu presupuesto", "presupuesto.pdf") });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
             "type":"document","document":{"id":"1234567890","caption":"Tu presupuesto","filename":"presupuesto.pdf"}}
            """, sent.Body);
    }

    [Fact]
    public async Task Video_and_audio_are_sent_as_their_own_types()
    {
        var (_, video) = await SendAsync(new() { Media = new("video", "https://cdn.example/v.mp4", null, null, null) });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"video","video":{"link":"https://cdn.example/v.mp4"}}
            """, video.Body);
        var (_, audio) = await SendAsync(new() { Media = new("audio", null, "555", null, "ignored.ogg") });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"audio","audio":{"id":"555"}}
            """, audio.Body);
    }

    [Fact]
    public async Task Template_sends_its_language_and_body_parameters_as_a_component()
    {
        var (_, sent) = await SendAsync(new() { Template = new("recordatorio_cita", "es_MX", ["Ana", "mañana 10:00"]) });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"template",
             "template":{"name":"recordatorio_cita","language":{"code":"es_MX"},
                         "components":[{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"mañana 10:00"}]}]}}
            """, sent.Body);
    }

    [Fact]
    public async Task Template_without_parameters_has_no_components()
    {
        var (_, sent) = await SendAsync(new() { Template = new("hello_world", "en_US", []) });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"template",
             "template":{"name":"hello_world","language":{"code":"en_US"}}}
            """, sent.Body);
    }

    [Fact]
    public async Task Reply_buttons_are_sent_as_an_interactive_button_message()
    {
        var (_, sent) = await SendAsync(new() { Buttons = new("¿Confirmas tu cita?", [new("si", "Sí"), new("no", "No")]) });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"interactive",
             "interactive":{"type":"button","body":{"text":"¿Confirmas tu cita?"},
                            "action":{"buttons":[{"type":"reply","reply":{"id":"si","title":"Sí"}},{"type":"reply","reply":{"id":"no","title":"No"}}]}}}
            """, sent.Body);
    }

    [Fact]
    public async Task A_payment_link_is_sent_as_a_call_to_action_button_that_opens_the_page()
    {
        var (_, sent) = await SendAsync(new() { Link = new("Limpieza dental: 450 MXN", "Pagar ahora", "https://console.example.test/pay/123") });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"interactive",
             "interactive":{"type":"cta_url","body":{"text":"Limpieza dental: 450 MXN"},
                            "action":{"name":"cta_url","parameters":{"display_text":"Pagar ahora","url":"https://console.example.test/pay/123"}}}}
            """, sent.Body);
    }

    [Fact]
    public async Task A_list_is_sent_as_an_interactive_list_message()
    {
        var list = new ListContent("Elige un horario", "Ver horarios", [
            new ListSection("Mañana", [new("m1", "9:00", "Dra. López"), new("m2", "10:00", null)]),
            new ListSection("Tarde", [new("t1", "16:00", null)]),
        ]);
        var (_, sent) = await SendAsync(new() { List = list });
        AssertJson("""
            {"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678","type":"interactive",
             "interactive":{"type":"list","body":{"text":"Elige un horario"},
                            "action":{"button":"Ver horarios","sections":[
                              {"title":"Mañana","rows":[{"id":"m1","title":"9:00","description":"Dra. López"},{"id":"m2","title":"10:00"}]},
                              {"title":"Tarde","rows":[{"id":"t1","title":"16:00"}]}]}}}
            """, sent.Body);
    }

    [Fact]
    public async Task Mark_read_with_typing_sends_the_read_status_and_the_typing_indicator()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        var result = await host.WhatsApp.MarkReadAsync(PhoneNumberId, Token, "wamid.IN7", showTyping: true, CancellationToken.None);
        Assert.True(result.Succeeded);
        var sent = Assert.Single(graph.Sends);
        Assert.Equal($"/v23.0/{PhoneNumberId}/messages", sent.Path);
        Assert.Equal($"Bearer {Token}", sent.Authorization);
        AssertJson("""{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN7","typing_indicator":{"type":"text"}}""", sent.Body);
    }

    [Fact]
    public async Task Mark_read_without_typing_sends_only_the_read_status()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        await host.WhatsApp.MarkReadAsync(PhoneNumberId, Token, "wamid.IN8", showTyping: false, CancellationToken.None);
        AssertJson("""{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN8"}""", Assert.Single(graph.Sends).Body);
    }

    [Fact]
    public async Task Mark_read_failures_are_classified_like_sends()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        graph.FailNext(new GraphError(190, 401, "Error validating access token: Session has expired", Details: null));
        var result = await host.WhatsApp.MarkReadAsync(PhoneNumberId, Token, "wamid.IN9", showTyping: true, CancellationToken.None);
        Assert.Equal(SendFailureKind.TokenExpired, result.Failure!.Kind);
    }

    [Theory]
    [MemberData(nameof(InvalidContent))]
    public async Task Content_breaking_a_limit_fails_permanently_naming_the_limit_without_calling_meta(string name, OutboundContent content, string problem)
    {
        await using var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        var result = await host.For(ChannelKind.WhatsApp).SendAsync(Request(ChannelKind.WhatsApp, content), CancellationToken.None);
        Assert.False(result.Succeeded, name);
        Assert.Equal(SendFailureKind.Permanent, result.Failure!.Kind);
        Assert.Equal("validation", result.Failure.Code);
        Assert.Contains(problem, result.Failure.Message);
        Assert.Empty(graph.Requests);
    }

    public static TheoryData<string, OutboundContent, string> InvalidContent() => new()
    {
        { "4 buttons", new() { Buttons = new("¿Cuándo?", [new("a", "Hoy"), new("b", "Mañana"), new("c", "Lunes"), new("d", "Martes")]) }, "reply buttons: at most 3, got 4" },
        { "21-char title", new() { Buttons = new("¿Cuándo?", [new("a", "Hoy"), new("b", "Mañana por la mañana!")]) }, "button 2 title: at most 20 characters, got 21" },
        { "11 rows", new() { List = new("Elige", "Ver", [new("Horas", Enumerable.Range(1, 11).Select(i => new ListRow($"r{i}", $"{i}:00", null)).ToList())]) }, "list rows: at most 10 in total, got 11" },
        { "25-char row title", new() { List = new("Elige", "Ver", [new("Horas", [new("r1", "Limpieza dental con flúor", null)])]) }, "row 1 title: at most 24 characters, got 25" },
        { "plain http link", new() { Link = new("Paga aquí", "Pagar", "http://console.example.test/pay/1") }, "link url: must be an absolute https URL, got 'http://console.example.test/pay/1'" },
        { "21-char link label", new() { Link = new("Paga aquí", "Pagar ahora con tarjeta", "https://console.example.test/pay/1") }, "link button label: at most 20 characters, got 23" },
        { "empty text", new() { Text = "" }, "text: must not be empty" },
        { "4097-char text", new() { Text = new string('a', 4097) }, "text: at most 4096 characters, got 4097" },
    };

    [Fact]
    public async Task The_access_token_never_reaches_the_logs_even_when_a_send_fails()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        await using var host = Create(graph: graph.BaseUrl);
        graph.FailNext(new GraphError(100, Message: "(#100) Invalid parameter"));
        await host.For(ChannelKind.WhatsApp).SendAsync(Request(ChannelKind.WhatsApp, new() { Text = "hola" }), CancellationToken.None);
        await host.For(ChannelKind.WhatsApp).SendAsync(Request(ChannelKind.WhatsApp, new() { Text = "hola" }), CancellationToken.None);
        Assert.NotEmpty(host.Logs.Lines);
        Assert.Contains(host.Logs.Lines, l => l.Contains("Invalid parameter"));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(Token));
    }

    [Fact]
    public async Task Add_channel_senders_registers_one_sender_per_channel_and_the_whatsapp_sender_itself()
    {
        await using var host = Create();
        Assert.Equal(3, host.Senders.Count);
        foreach (var kind in Enum.GetValues<ChannelKind>()) Assert.Single(host.Senders, s => s.Handles(kind));
        Assert.Same(host.WhatsApp, host.For(ChannelKind.WhatsApp));
    }
}
