using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>
/// The app on a real socket with a scripted model (<see cref="FakeLlm"/>: chat, vision and speech-to-text) and a fake Graph
/// API that serves customers' media and takes the bot's sends.
/// </summary>
public class MediaAgentApp : IAsyncLifetime
{
    public FakeLlm Llm { get; private set; } = default!;
    public FakeGraphApi Graph { get; private set; } = default!;
    public ConsoleAppFactory App { get; private set; } = default!;

    /// <summary>Settings this fixture changes on top of the scripted model's (no key: the offline agent).</summary>
    protected virtual void Adjust(Dictionary<string, string?> settings) { }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
    {
        protected override bool UseRealSocket => true;
    }

    public async Task InitializeAsync()
    {
        Llm = await FakeLlm.StartAsync();
        Graph = await FakeGraphApi.StartAsync();
        var settings = AgentApp.Settings(Llm);
        settings["Outbound:Mode"] = "Live";
        settings["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/');
        settings["Meta:GraphVersion"] = "v23.0";
        Adjust(settings);
        App = new Factory(settings);
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
        await Llm.DisposeAsync();
    }
}

/// <summary>No speech-to-text or vision model configured (the chat model is).</summary>
public sealed class NoMediaModelsApp : MediaAgentApp
{
    protected override void Adjust(Dictionary<string, string?> settings)
    {
        settings["Llm:TranscriptionModel"] = "";
        settings["Llm:VisionModel"] = "";
    }
}

/// <summary>No LLM key at all: the offline agent answers.</summary>
public sealed class OfflineMediaApp : MediaAgentApp
{
    protected override void Adjust(Dictionary<string, string?> settings) => settings["Llm:ApiKey"] = "";
}

/// <summary>Customers' voice notes and images, as WhatsApp delivers them, and what the agent and the inbox make of them.</summary>
internal static class CustomerMedia
{
    /// <summary>An Ogg page header (granule position 5 s of 48 kHz Opus) and some bytes: enough for the type check.</summary>
    public static byte[] VoiceNote()
    {
        var bytes = new byte[600];
        "OggS"u8.CopyTo(bytes);
        BitConverter.GetBytes(5L * 48_000).CopyTo(bytes, 6);
        Random.Shared.NextBytes(bytes.AsSpan(40));
        return bytes;
    }

    public static byte[] Photo() => [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 2, 3, 4, 5];

    public static async Task<string> SendAsync(ConsoleAppFactory app, FakeGraphApi graph, TestCustomer customer, string type, byte[] bytes,
        string mimeType)
    {
        var mediaId = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString();
        graph.AddMedia(mediaId, mimeType, bytes);
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        object media = type == "audio" ? new { id = mediaId, mime_type = mimeType, voice = true } : new { id = mediaId, mime_type = mimeType };
        var message = new Dictionary<string, object>
        {
            ["from"] = customer.WaId, ["id"] = wamid, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), ["type"] = type,
            [type] = media,
        };
        var body = JsonSerializer.Serialize(new
        {
            @object = "whatsapp_business_account",
            entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
                messaging_product = "whatsapp",
                metadata = new { display_phone_number = "15550000000", phone_number_id = customer.PhoneNumberId },
                contacts = new[] { new { profile = new { name = "Lucía" }, wa_id = customer.WaId } },
                messages = new[] { message },
            } } } } },
        });
        (await new WebhookClient(app.CreateClient()).PostMetaAsync("whatsapp", body)).EnsureSuccessStatusCode();
        return wamid;
    }

    public static async Task<Message> MessageAsync(ConsoleAppFactory app, TestCustomer customer, string wamid)
    {
        await using var work = app.Scopes.ForTenant(customer.TenantId);
        return await work.Db.Messages.AsNoTracking().SingleAsync(m => m.ExternalId == wamid);
    }

    public static async Task<List<TokenUsage>> UsageAsync(ConsoleAppFactory app, Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.TokenUsage.AsNoTracking().ToListAsync();
    }

    /// <summary>The user messages of the reply call that carried <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> ModelSaw(FakeLlm llm, string text)
    {
        for (var i = 0; i < llm.ReplyRequests.Count; i++)
        {
            var said = llm.UserMessages(i);
            if (said.Any(m => m.Contains(text, StringComparison.Ordinal))) return said;
        }
        return [];
    }
}

public class MediaUnderstandingTests(MediaAgentApp media, BrowserFixture browser) : IClassFixture<MediaAgentApp>, IClassFixture<BrowserFixture>
{
    private ConsoleAppFactory App => media.App;

    private async Task<IPage> SignInAsync(TestCustomer customer, string locale, int width, int height, string returnUrl)
    {
        string slug;
        await using (var work = App.Scopes.ForTenant(customer.TenantId))
            slug = await work.Db.Tenants.Where(t => t.Id == customer.TenantId).Select(t => t.Slug).SingleAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.Locator("input[name='Input.Email']").FillAsync($"{slug}@owner.test");
        await page.Locator("input[name='Input.Password']").FillAsync("Str0ng!Pass");
        await page.Locator("button[type='submit']").ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    [Fact]
    public async Task A_WhatsApp_voice_note_becomes_a_transcript_the_model_sees_priced_per_minute_and_shown_under_the_audio()
    {
        var customer = await TestCustomer.CreateAsync(App);
        var transcript = $"Hola, ¿cuánto cuesta la limpieza dental? {customer.Marker}";
        media.Llm.TranscriptText = transcript;
        media.Llm.TranscriptSeconds = 90;
        var audio = CustomerMedia.VoiceNote();

        var wamid = await CustomerMedia.SendAsync(App, media.Graph, customer, "audio", audio, "audio/ogg; codecs=opus");
        await customer.WaitForBotMessagesAsync(1);

        Assert.Contains(media.Llm.Transcriptions, t => t.Model == "gpt-4o-mini-transcribe" && t.Audio.SequenceEqual(audio));
        Assert.Contains(CustomerMedia.ModelSaw(media.Llm, customer.Marker), m => m.Contains("[Voice note, transcribed] " + transcript));
        var message = await CustomerMedia.MessageAsync(App, customer, wamid);
        Assert.Equal((MediaState.Stored, transcript), (message.MediaState!.Value, message.MediaText));
        // 90 s at the configured US$ 0.003 a minute.
        var usage = Assert.Single(await CustomerMedia.UsageAsync(App, customer.TenantId), u => u.Feature == LlmFeature.Transcription);
        Assert.Equal(("gpt-4o-mini-transcribe", 0.0045m), (usage.Model, usage.EstimatedCost));
        Assert.Equal(message.ConversationId, usage.ConversationId);

        var conversation = await customer.ConversationAsync();
        foreach (var (suffix, width, height) in new[] { ("desktop", 1366, 800), ("phone", 390, 844) })
        {
            var page = await SignInAsync(customer, "es-MX", width, height, $"/inbox/{conversation.Id}");
            var bubble = page.GetByTestId("message").Filter(new() { Has = page.Locator("audio") });
            await Assertions.Expect(bubble.GetByTestId("media-text")).ToContainTextAsync("Transcripción:");
            await Assertions.Expect(bubble.GetByTestId("media-text")).ToContainTextAsync(transcript);
            await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"inbox-voice-note-{suffix}-es.png") });
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task An_image_is_described_when_the_owner_switched_it_on_and_the_description_reaches_the_model()
    {
        var customer = await TestCustomer.CreateAsync(App);
        await using (var work = App.Scopes.ForTenant(customer.TenantId))
        {
            (await work.Db.Tenants.SingleAsync(t => t.Id == customer.TenantId)).SetDescribeImages(true);
            await work.Db.SaveChangesAsync();
        }
        var description = $"Una foto de una muela con una mancha oscura {customer.Marker}";
        media.Llm.DefaultDescription = description;
        var visionCalls = media.Llm.VisionRequests.Count;

        var wamid = await CustomerMedia.SendAsync(App, media.Graph, customer, "image", CustomerMedia.Photo(), "image/jpeg");
        await customer.WaitForBotMessagesAsync(1);

        var asked = media.Llm.VisionRequests.Skip(visionCalls).Single();
        Assert.Equal("gpt-4o-mini", (string?)asked["model"]);
        Assert.StartsWith("data:image/jpeg;base64,", Assert.Single(FakeLlm.ImageUrls(asked)));
        Assert.Contains(CustomerMedia.ModelSaw(media.Llm, customer.Marker), m => m.Contains("[Image, described] " + description));
        Assert.Equal(description, (await CustomerMedia.MessageAsync(App, customer, wamid)).MediaText);
        var usage = Assert.Single(await CustomerMedia.UsageAsync(App, customer.TenantId), u => u.Feature == LlmFeature.Vision);
        Assert.Equal((800L, 40L), (usage.InputTokens, usage.OutputTokens));
    }

    [Fact]
    public async Task With_the_owners_switch_off_an_image_is_not_sent_to_a_model_and_the_agent_is_told_it_cannot_open_it()
    {
        var customer = await TestCustomer.CreateAsync(App);
        var visionCalls = media.Llm.VisionRequests.Count;
        var replies = media.Llm.ReplyRequests.Count;

        await CustomerMedia.SendAsync(App, media.Graph, customer, "image", CustomerMedia.Photo(), "image/jpeg");
        await customer.WaitForBotMessagesAsync(1);

        Assert.Equal(visionCalls, media.Llm.VisionRequests.Count);
        var told = Enumerable.Range(replies, media.Llm.ReplyRequests.Count - replies).SelectMany(media.Llm.UserMessages);
        Assert.Contains(MediaLines.UnreadImage, told);
    }

    [Fact]
    public async Task A_file_uploaded_in_the_Files_tab_is_sent_by_send_file_through_a_signed_link_to_its_bytes()
    {
        var customer = await TestCustomer.CreateAsync(App);
        var page = await SignInAsync(customer, "es-MX", 1366, 800, "/agent");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Archivos" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Aún no hay archivos")).ToBeVisibleAsync();
        var pdf = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"u8.ToArray();
        await page.Locator("[data-testid=file-form] input[type=file]").ChooseFileAsync(new FilePayload
        {
            Name = "menu-primavera.pdf", MimeType = "application/pdf", Buffer = pdf,
        });
        // Choosing a file names it after the file: a user types the name once the choice shows (typing sooner loses the
        // race with that default).
        await Assertions.Expect(page.GetByTestId("file-form")).ToContainTextAsync("menu-primavera.pdf");
        await page.GetByLabel("Nombre").FillAsync("Menú de primavera");
        await page.GetByLabel("Palabras clave").FillAsync("menú, carta");
        await page.GetByLabel("Descripción (cuándo enviarlo)").FillAsync("Cuando pregunten qué platillos hay");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subir" }).ClickAsync();
        var row = page.GetByTestId("file-row").Filter(new() { HasText = "Menú de primavera" });
        await Assertions.Expect(row).ToBeVisibleAsync();
        // The picker is empty again (not still holding the sent file), so the same file can be chosen for another entry.
        Assert.Equal(0, await page.Locator("[data-testid=file-form] input[type=file]").EvaluateAsync<int>("e => e.files.length"));
        await Assertions.Expect(page.GetByTestId("file-chosen")).Not.ToContainTextAsync("menu-primavera.pdf");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-files-desktop-es.png"), FullPage = true });
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("agent-files-phone-es.png"), FullPage = true });

        // The model asks by the trigger word the customer used, not the file's name.
        media.Llm.Reply(LlmAnswer.Call("send_file", new { document = "carta" }), LlmAnswer.Say($"Te mando la carta {customer.Marker}"));
        await customer.SayAsync($"¿Me mandas la carta? {customer.Marker}");
        var sent = await customer.WaitForBotMessagesAsync(2);
        var document = Assert.Single(sent, m => m.Type == MessageType.Document);
        // The payload's shape is the outbound queue's; the signed link is in it.
        var link = System.Text.RegularExpressions.Regex.Match(document.Payload!, @"https?://[^""]+/media/out/[^""]+").Value;
        Assert.NotEmpty(link);
        var served = await App.CreateClient().GetAsync(new Uri(link).PathAndQuery);
        served.EnsureSuccessStatusCode();
        Assert.Equal(pdf, await served.Content.ReadAsByteArrayAsync());

        // Deleting asks first, and is audited.
        await page.SetViewportSizeAsync(1366, 800);
        await page.GetByRole(AriaRole.Button, new() { Name = "Eliminar Menú de primavera" }).ClickAsync(); // the row test id marks the name cell
        await page.GetByRole(AriaRole.Button, new() { Name = "Eliminar", Exact = true }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await using var work = App.Scopes.ForTenant(customer.TenantId);
        var actions = await work.Db.AuditEntries.AsNoTracking().Select(a => a.Action).ToListAsync();
        Assert.Contains("agent_file.uploaded", actions);
        Assert.Contains("agent_file.deleted", actions);
    }

    [Fact]
    public async Task The_files_api_refuses_markup_and_lists_what_it_took()
    {
        var customer = await TestCustomer.CreateAsync(App);
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        MultipartFormDataContent Form(byte[] bytes, string fileName) => new()
        {
            { new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/pdf") } }, "file", fileName },
            { new StringContent("Lista de precios"), "name" },
            { new StringContent("precios, costos"), "triggerWords" },
        };

        var refused = await api.PostAsync($"/api/v1/tenants/{customer.TenantId}/files", Form("<svg onload=alert(1)>"u8.ToArray(), "x.pdf"));
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var created = await api.PostAsync($"/api/v1/tenants/{customer.TenantId}/files", Form("%PDF-1.7\n%%EOF"u8.ToArray(), "precios.pdf"));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);

        var list = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/tenants/{customer.TenantId}/files")).RootElement;
        var file = Assert.Single(list.EnumerateArray());
        Assert.Equal(("Lista de precios", "application/pdf", "precios, costos"), (file.GetProperty("name").GetString(),
            file.GetProperty("contentType").GetString(), string.Join(", ", file.GetProperty("triggerWords").EnumerateArray().Select(w => w.GetString()))));
        var deleted = await api.DeleteAsync($"/api/v1/tenants/{customer.TenantId}/files/{file.GetProperty("id").GetString()}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
    }
}

public class MediaWithoutModelsTests(NoMediaModelsApp media) : IClassFixture<NoMediaModelsApp>
{
    [Fact]
    public async Task Without_a_transcription_model_the_model_is_told_the_customer_sent_a_voice_note_it_cannot_open()
    {
        var customer = await TestCustomer.CreateAsync(media.App);
        var replies = media.Llm.ReplyRequests.Count;

        var wamid = await CustomerMedia.SendAsync(media.App, media.Graph, customer, "audio", CustomerMedia.VoiceNote(), "audio/ogg");
        await customer.WaitForBotMessagesAsync(1);

        Assert.Empty(media.Llm.Transcriptions);
        var told = Enumerable.Range(replies, media.Llm.ReplyRequests.Count - replies).SelectMany(media.Llm.UserMessages).ToList();
        Assert.Contains(MediaLines.UnreadVoiceNote, told);
        Assert.Null((await CustomerMedia.MessageAsync(media.App, customer, wamid)).MediaText);
        Assert.DoesNotContain(await CustomerMedia.UsageAsync(media.App, customer.TenantId), u => u.Feature == LlmFeature.Transcription);
    }
}

public class OfflineMediaTests(OfflineMediaApp media) : IClassFixture<OfflineMediaApp>
{
    [Fact]
    public async Task Without_a_model_the_offline_agent_asks_for_a_voice_note_in_writing()
    {
        var customer = await TestCustomer.CreateAsync(media.App);

        await CustomerMedia.SendAsync(media.App, media.Graph, customer, "audio", CustomerMedia.VoiceNote(), "audio/ogg");
        var sent = await customer.WaitForBotMessagesAsync(1);

        Assert.Contains(sent, m => m.Body?.Contains("no puedo escuchar notas de voz") == true);
    }
}
