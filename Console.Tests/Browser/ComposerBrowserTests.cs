using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The demo app on a real socket for the composer: the bot stays out (Agent:Workers=0), attachments are capped at 1 MB.</summary>
public sealed class ComposerBrowserApp : IAsyncLifetime
{
    public const long MaxUploadBytes = 1024 * 1024;

    public BrowserNodeAppFactory App { get; } = new(new Dictionary<string, string?>
    {
        ["Agent:Workers"] = "0",
        ["Media:MaxUploadBytes"] = MaxUploadBytes.ToString(),
    });

    public Task InitializeAsync() => App.InitializeAsync();

    public Task DisposeAsync() => App.DisposeAsync();
}

/// <summary>
/// The composer's habits as WhatsApp Web and Chatwoot have them: Enter sends (or Ctrl+Enter, per person), "/" offers
/// quick replies chosen from the keyboard, dialogs close with Esc, and a file is previewed before it is sent. Each test
/// signs in as a member of its own and works a conversation of its own, in Spanish.
/// </summary>
public class ComposerBrowserTests(ComposerBrowserApp fixture, BrowserFixture browser)
    : IClassFixture<ComposerBrowserApp>, IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private BrowserNodeAppFactory App => fixture.App;

    // Each test's browser closes with it: an open inbox keeps a circuit that reloads on every change of the shared tenant.
    private readonly List<IBrowserContext> _contexts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
    }

    private const string Draft = "Escribe un mensaje";

    [Fact]
    public async Task Enter_sends_and_Shift_Enter_adds_a_line_on_a_phone_and_the_hint_says_so()
    {
        var (conversationId, _) = await CustomerWritesAsync("Hola, ¿hacen limpiezas?");
        var (page, me) = await SignInAsync($"/inbox/{conversationId}", 390, 844);
        await Assertions.Expect(page.GetByTestId("composer-hint")).ToHaveTextAsync("Enter para enviar · Shift+Enter para nueva línea");
        await Assertions.Expect(page.GetByTestId("takeover-notice")).ToContainTextAsync("Al enviar tomas el control");

        var box = page.GetByLabel(Draft);
        await box.PressSequentiallyAsync("Sí, claro.");
        await box.PressAsync("Shift+Enter");
        await box.PressSequentiallyAsync("¿Qué día te acomoda?");
        await Assertions.Expect(box).ToHaveValueAsync("Sí, claro.\n¿Qué día te acomoda?");
        Assert.Empty(await AgentMessagesAsync(conversationId));

        await box.PressAsync("Enter");

        await Assertions.Expect(box).ToHaveValueAsync("");
        await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "¿Qué día te acomoda?" })).ToBeVisibleAsync();
        Assert.Equal("Sí, claro.\n¿Qué día te acomoda?", Assert.Single(await AgentMessagesAsync(conversationId)).Body);
        // The reply took the conversation from the bot, and said so: on screen now and in the timeline.
        await Assertions.Expect(page.GetByText("Tomaste el control de esta conversación: el bot está en silencio.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("event").Filter(new() { HasText = $"{me} tomó el control" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("composer-sent-phone-es.png") });
    }

    [Fact]
    public async Task With_the_Ctrl_Enter_setting_Enter_adds_a_line_and_Ctrl_Enter_sends_and_the_choice_is_remembered()
    {
        var (conversationId, _) = await CustomerWritesAsync("Buenas tardes");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}");

        await page.Locator(".console-avatar").ClickAsync();
        await Assertions.Expect(page.GetByText("Ctrl+Enter (Enter: nueva línea)")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("composer-send-keys-menu-desktop-es.png") });
        await page.GetByText("Ctrl+Enter (Enter: nueva línea)").ClickAsync();
        await Assertions.Expect(page.GetByTestId("composer-hint")).ToHaveTextAsync("Ctrl+Enter para enviar · Enter para nueva línea");
        await Assertions.Expect(page.GetByTestId("composer")).ToHaveAttributeAsync("data-keys", "ctrl-enter");
        await page.Keyboard.PressAsync("Escape");

        var box = page.GetByLabel(Draft);
        await box.PressSequentiallyAsync("Primera línea");
        await box.PressAsync("Enter");
        await box.PressSequentiallyAsync("segunda línea");
        await Assertions.Expect(box).ToHaveValueAsync("Primera línea\nsegunda línea");
        Assert.Empty(await AgentMessagesAsync(conversationId));

        await box.PressAsync("Control+Enter");
        await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "segunda línea" })).ToBeVisibleAsync();
        await Assertions.Expect(box).ToHaveValueAsync("");

        // Kept on the person, not the page: a new visit still sends with Ctrl+Enter.
        await page.ReloadAsync();
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("composer-hint")).ToHaveTextAsync("Ctrl+Enter para enviar · Enter para nueva línea");
        await Assertions.Expect(page.GetByTestId("composer")).ToHaveAttributeAsync("data-keys", "ctrl-enter");
    }

    [Fact]
    public async Task Slash_then_arrows_and_Enter_insert_the_highlighted_quick_reply_on_a_phone_and_Esc_closes_the_list()
    {
        var (conversationId, tenantId) = await CustomerWritesAsync("¿Dónde están?");
        var prefix = "zq" + Random.Shared.Next(10000, 99999);
        var integration = OperatorConsole.Infrastructure.Inbox.InboxActor.Integration(tenantId);
        await App.Commands().SaveCannedReplyAsync(integration, null, prefix + "a", "Primera respuesta rápida");
        await App.Commands().SaveCannedReplyAsync(integration, null, prefix + "b", "Segunda respuesta rápida");
        await App.Commands().SaveCannedReplyAsync(integration, null, prefix + "c", "Tercera respuesta rápida");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}", 390, 844);
        var box = page.GetByLabel(Draft);
        var options = page.GetByRole(AriaRole.Listbox, new() { Name = "Respuestas rápidas (escribe /atajo)" }).GetByRole(AriaRole.Option);

        await box.PressSequentiallyAsync("/" + prefix);
        await Assertions.Expect(options).ToHaveCountAsync(3);
        await Assertions.Expect(options.Nth(0)).ToHaveAttributeAsync("aria-selected", "true");
        await box.PressAsync("ArrowDown");
        await box.PressAsync("ArrowDown");
        await box.PressAsync("ArrowUp");
        await Assertions.Expect(options.Nth(1)).ToHaveAttributeAsync("aria-selected", "true");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("composer-suggestions-phone-es.png") });

        await box.PressAsync("Enter");

        // Enter chose the highlighted reply; it did not send anything.
        await Assertions.Expect(box).ToHaveValueAsync("Segunda respuesta rápida");
        await Assertions.Expect(options).ToHaveCountAsync(0);
        Assert.Empty(await AgentMessagesAsync(conversationId));

        // Tab chooses too; Esc closes the list and keeps what was typed.
        await box.FillAsync("");
        await box.PressSequentiallyAsync("/" + prefix + "c");
        await Assertions.Expect(options).ToHaveCountAsync(1);
        await box.PressAsync("Tab");
        await Assertions.Expect(box).ToHaveValueAsync("Tercera respuesta rápida");
        await box.FillAsync("");
        await box.PressSequentiallyAsync("/" + prefix);
        await Assertions.Expect(options).ToHaveCountAsync(3);
        await box.PressAsync("Escape");
        await Assertions.Expect(options).ToHaveCountAsync(0);
        await Assertions.Expect(box).ToHaveValueAsync("/" + prefix);
    }

    [Fact]
    public async Task A_quick_reply_can_be_edited_deleting_asks_first_and_Esc_closes_the_dialogs()
    {
        var (conversationId, tenantId) = await CustomerWritesAsync("Hola");
        var shortcut = "zr" + Random.Shared.Next(10000, 99999);
        await App.Commands().SaveCannedReplyAsync(OperatorConsole.Infrastructure.Inbox.InboxActor.Integration(tenantId), null, shortcut, "Texto viejo");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}");
        var dialog = page.GetByRole(AriaRole.Dialog);
        var row = dialog.GetByTestId("canned-row").Filter(new() { HasText = "/" + shortcut });

        await page.GetByRole(AriaRole.Button, new() { Name = "Respuestas rápidas (escribe /atajo)" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Texto viejo");
        await FocusInsideAsync(page, "/" + shortcut);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Respuestas rápidas (escribe /atajo)" }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = $"Editar /{shortcut}" }).ClickAsync();
        await Assertions.Expect(dialog.GetByText($"Editando /{shortcut}")).ToBeVisibleAsync();
        await dialog.GetByLabel("Texto").FillAsync("Texto nuevo, corregido");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Guardar cambios" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Texto nuevo, corregido");
        Assert.Equal("Texto nuevo, corregido", (await CannedAsync(tenantId, shortcut))?.Text);

        // Deleting asks first; Esc on the question keeps the reply.
        await row.GetByRole(AriaRole.Button, new() { Name = $"Eliminar /{shortcut}" }).ClickAsync();
        var question = page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "para todo el equipo" });
        await Assertions.Expect(question).ToContainTextAsync($"¿Eliminar /{shortcut} para todo el equipo? No se puede deshacer.");
        await FocusInsideAsync(page, "para todo el equipo");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(question).ToHaveCountAsync(0);
        await Assertions.Expect(row).ToHaveCountAsync(1);
        Assert.NotNull(await CannedAsync(tenantId, shortcut));

        await row.GetByRole(AriaRole.Button, new() { Name = $"Eliminar /{shortcut}" }).ClickAsync();
        await question.GetByRole(AriaRole.Button, new() { Name = "Eliminar", Exact = true }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.Null(await CannedAsync(tenantId, shortcut));
    }

    [Fact]
    public async Task An_attachment_is_previewed_on_a_phone_and_cancelling_sends_nothing()
    {
        var (conversationId, _) = await CustomerWritesAsync("Les mando mi radiografía");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}", 390, 844);

        await ChooseFileAsync(page, "sonrisa.png", "image/png", Png(160, 120));
        var preview = page.GetByTestId("attachment-preview");
        await Assertions.Expect(preview).ToContainTextAsync("sonrisa.png");
        await Assertions.Expect(preview).ToContainTextAsync("PNG");
        await Assertions.Expect(preview.GetByTestId("attachment-thumb")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^blob:"));
        await Assertions.Expect(preview.GetByLabel("Agrega un comentario")).ToBeVisibleAsync();
        await Assertions.Expect(preview.GetByTestId("takeover-notice")).ToContainTextAsync("Al enviar tomas el control");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("composer-attachment-phone-es.png") });

        await preview.GetByRole(AriaRole.Button, new() { Name = "Cancelar" }).ClickAsync();
        await Assertions.Expect(preview).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByLabel(Draft)).ToBeVisibleAsync();

        // Esc cancels as well.
        await ChooseFileAsync(page, "sonrisa.png", "image/png", Png(160, 120));
        await Assertions.Expect(preview).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(preview).ToHaveCountAsync(0);

        Assert.Empty(await AgentMessagesAsync(conversationId));
        Assert.Equal(ConversationOwner.Bot, (await ConversationAsync(conversationId)).Owner);
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Bot");
    }

    [Fact]
    public async Task An_attachment_sent_with_a_caption_clears_the_chip_and_announces_the_takeover_like_a_typed_reply()
    {
        var (conversationId, _) = await CustomerWritesAsync("¿Me mandan la lista de precios?");
        var (page, me) = await SignInAsync($"/inbox/{conversationId}");

        await ChooseFileAsync(page, "precios.png", "image/png", Png(160, 120));
        var preview = page.GetByTestId("attachment-preview");
        await preview.GetByLabel("Agrega un comentario").FillAsync("Aquí está la lista de precios");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("composer-attachment-desktop-es.png") });
        await preview.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();

        await Assertions.Expect(preview).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("attachment-chip")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "Aquí está la lista de precios" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Tomaste el control de esta conversación: el bot está en silencio.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("event").Filter(new() { HasText = $"{me} tomó el control" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync(me);
        var sent = Assert.Single(await AgentMessagesAsync(conversationId));
        Assert.Equal(MessageType.Image, sent.Type);
        Assert.Equal("Aquí está la lista de precios", sent.Body);
        Assert.Equal(ConversationOwner.Human, (await ConversationAsync(conversationId)).Owner);

        // The same file can be chosen again at once: the last choice was forgotten.
        await ChooseFileAsync(page, "precios.png", "image/png", Png(160, 120));
        await Assertions.Expect(preview).ToBeVisibleAsync();
        await Assertions.Expect(preview.GetByLabel("Agrega un comentario")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task A_too_large_or_wrong_type_file_shows_the_message_and_uploads_nothing()
    {
        var (conversationId, _) = await CustomerWritesAsync("Hola, una pregunta");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}");

        await ChooseFileAsync(page, "dibujo.svg", "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"u8.ToArray());
        await Assertions.Expect(page.GetByText("dibujo.svg no se puede enviar: usa una imagen (JPEG, PNG, WebP)", new() { Exact = false })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("attachment-preview")).ToHaveCountAsync(0);

        var big = new byte[ComposerBrowserApp.MaxUploadBytes + 512 * 1024];
        Png(8, 8).CopyTo(big, 0);
        await ChooseFileAsync(page, "enorme.png", "image/png", big);
        await Assertions.Expect(page.GetByText(new System.Text.RegularExpressions.Regex(@"^enorme\.png pesa 1[.,]5 MB: se pueden enviar archivos de hasta 1 MB\.$"))).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("attachment-preview")).ToHaveCountAsync(0);

        Assert.Empty(await AgentMessagesAsync(conversationId));
        Assert.Equal(ConversationOwner.Bot, (await ConversationAsync(conversationId)).Owner);
    }

    [Trait("Category", "Screenshots")]
    [Theory]
    [InlineData("es-MX", "es", 1366, 800)]
    [InlineData("en-US", "en", 1366, 800)]
    [InlineData("es-MX", "es", 390, 844)]
    [InlineData("en-US", "en", 390, 844)]
    public async Task Composer_screenshots_with_the_hint_the_quick_replies_and_a_file_preview(string locale, string language, int width, int height)
    {
        var (conversationId, _) = await CustomerWritesAsync(language == "es" ? "Hola, ¿tienen cita el sábado?" : "Hi, any slot on Saturday?");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}", width, height, locale, language);
        var device = width < 600 ? "phone" : "desktop";
        var box = page.GetByLabel(language == "es" ? Draft : "Type a message");
        await Assertions.Expect(page.GetByTestId("composer-hint")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"composer-hint-{device}-{language}.png") });

        // The demo's own quick replies.
        await box.PressSequentiallyAsync("/h");
        await Assertions.Expect(page.GetByRole(AriaRole.Option).First).ToBeVisibleAsync();
        await box.PressAsync("ArrowDown");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"composer-suggestions-{device}-{language}.png") });
        await box.PressAsync("Escape");
        await box.FillAsync("");

        await ChooseFileAsync(page, "sonrisa.png", "image/png", Png(160, 120));
        await Assertions.Expect(page.GetByTestId("attachment-thumb")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"composer-attachment-{device}-{language}.png") });
        await ChooseFileAsync(page, "presupuesto.pdf", "application/pdf", "%PDF-1.4\n%demo\n"u8.ToArray(), replace: true);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"composer-document-{device}-{language}.png") });
    }

    // ---- helpers ----

    [Fact]
    public async Task A_draft_is_scheduled_for_tomorrow_at_9_listed_in_the_panel_and_cancelled_without_taking_the_conversation()
    {
        var (conversationId, tenantId) = await CustomerWritesAsync("¿Me confirman la cita?");
        var (page, _) = await SignInAsync($"/inbox/{conversationId}");
        var owner = (await ConversationAsync(conversationId)).Owner;
        await page.GetByLabel(Draft).FillAsync("Te escribo mañana para confirmar tu cita");

        await page.GetByTestId("schedule-open").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog.GetByLabel("Mensaje", new() { Exact = true })).ToHaveValueAsync("Te escribo mañana para confirmar tu cita");
        await dialog.GetByTestId("schedule-quick").Filter(new() { HasText = "Mañana 9:00" }).ClickAsync();
        await Assertions.Expect(dialog.GetByText("Hora en la zona del negocio", new() { Exact = false })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("schedule-dialog-desktop-es.png") });
        await dialog.GetByTestId("schedule-save").ClickAsync();

        await Assertions.Expect(page.GetByText("Mensaje programado para el", new() { Exact = false })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel(Draft)).ToHaveValueAsync("");
        var item = page.GetByTestId("scheduled-item").Filter(new() { HasText = "Te escribo mañana" });
        await Assertions.Expect(item).ToContainTextAsync("09:00");
        await Assertions.Expect(item).ToContainTextAsync("mensaje · pendiente");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("scheduled-list-desktop-es.png") });

        ScheduledItem stored;
        await using (var work = App.Scopes.ForTenant(tenantId))
            stored = await work.Db.ScheduledItems.AsNoTracking().SingleAsync(i => i.ConversationId == conversationId);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");
        var local = TimeZoneInfo.ConvertTime(stored.At, zone);
        Assert.Equal((TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date.AddDays(1), new TimeSpan(9, 0, 0)), (local.Date, local.TimeOfDay));
        // Scheduling is not replying: the conversation stays with whoever had it.
        Assert.Equal(owner, (await ConversationAsync(conversationId)).Owner);

        await item.GetByRole(AriaRole.Button).ClickAsync();
        await Assertions.Expect(item).ToContainTextAsync("cancelado");
        await using var check = App.Scopes.ForTenant(tenantId);
        Assert.Equal(ScheduledItemStatus.Cancelled, (await check.Db.ScheduledItems.AsNoTracking().SingleAsync(i => i.Id == stored.Id)).Status);
        Assert.Empty(await AgentMessagesAsync(conversationId));
    }

    [Fact]
    public async Task A_quick_reply_goes_into_the_box_with_its_variables_filled_from_the_conversation_and_is_sent_that_way()
    {
        var (conversationId, tenantId) = await CustomerWritesAsync("Hola, ¿cuánto cuesta una limpieza?");
        var shortcut = "zv" + Random.Shared.Next(10000, 99999);
        await App.Commands().SaveCannedReplyAsync(OperatorConsole.Infrastructure.Inbox.InboxActor.Integration(tenantId), null, shortcut,
            "Hola {{contact_first_name}}, soy {{agent_name}} de {{business_name}}.");
        var (page, me) = await SignInAsync($"/inbox/{conversationId}", 390, 844);
        var box = page.GetByLabel(Draft);
        var filled = $"Hola Cliente, soy {me} de Clínica Dental Sonrisa.";

        await box.PressSequentiallyAsync("/" + shortcut);
        await Assertions.Expect(page.GetByRole(AriaRole.Option)).ToHaveCountAsync(1);
        await box.PressAsync("Enter");
        await Assertions.Expect(box).ToHaveValueAsync(filled);

        await box.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = filled })).ToBeVisibleAsync();
        Assert.Equal(filled, Assert.Single(await AgentMessagesAsync(conversationId)).Body);
    }

    private async Task<(IPage Page, string Name)> SignInAsync(string returnUrl, int width = 1366, int height = 800, string locale = "es-MX",
        string language = "es")
    {
        var tenantId = await DemoTenantIdAsync();
        var name = "Composer " + Random.Shared.Next(1000, 9999);
        var member = await App.MemberAsync(tenantId, name, TenantRole.Agent, "Compose!2345", language);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(locale.StartsWith("es") ? "Correo electrónico" : "E-mail").FillAsync(await App.EmailOfAsync(tenantId, member.MemberId!.Value));
        await page.GetByLabel(locale.StartsWith("es") ? "Contraseña" : "Password").FillAsync("Compose!2345");
        await page.GetByRole(AriaRole.Button, new() { Name = locale.StartsWith("es") ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        // The composer's keys are live once its script has attached.
        await page.Locator("[data-testid=composer][data-keys]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return (page, name);
    }

    /// <summary>Waits until the keyboard is in the dialog showing <paramref name="text"/>, where a person's Esc would go.</summary>
    private static Task FocusInsideAsync(IPage page, string text) =>
        page.WaitForFunctionAsync("t => document.activeElement?.closest('.mud-dialog')?.textContent.includes(t) === true", text);

    private static async Task ChooseFileAsync(IPage page, string name, string type, byte[] bytes, bool replace = false)
    {
        if (replace)
        {
            await page.GetByTestId("attachment-cancel").ClickAsync();
            await Assertions.Expect(page.GetByTestId("attachment-preview")).ToHaveCountAsync(0);
        }
        // The upload control keeps a spent input (d-none) beside the fresh one it adds after each choice is cleared.
        await page.Locator("[data-testid=composer] input[type=file]:not(.d-none)").Last.ChooseFileAsync(new FilePayload { Name = name, MimeType = type, Buffer = bytes });
        if (replace) await Assertions.Expect(page.GetByTestId("attachment-preview")).ToContainTextAsync(name);
    }

    private async Task<Guid> DemoTenantIdAsync()
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
    }

    /// <summary>A customer nobody has seen writes to the demo WhatsApp number: a conversation the bot holds.</summary>
    private async Task<(Guid ConversationId, Guid TenantId)> CustomerWritesAsync(string text)
    {
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        var webhooks = new WebhookClient(new HttpClient { BaseAddress = App.ServerAddress });
        var response = await webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(DemoSeeder.WhatsAppPhoneNumberId, waId,
            "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow, "Cliente Composer"));
        Assert.True(response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
        var tenantId = await DemoTenantIdAsync();
        var conversationId = await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(tenantId);
            return await (from i in work.Db.ContactIdentities
                          join c in work.Db.Conversations on i.ContactId equals c.ContactId
                          where i.Value == waId
                          select (Guid?)c.Id).FirstOrDefaultAsync();
        }, id => id is not null, "the webhook to be processed");
        return (conversationId!.Value, tenantId);
    }

    private async Task<Conversation> ConversationAsync(Guid id)
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        return await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == id);
    }

    private async Task<List<Message>> AgentMessagesAsync(Guid conversationId)
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        return await work.Db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId && m.Sender == MessageSender.Agent).ToListAsync();
    }

    private async Task<CannedReply?> CannedAsync(Guid tenantId, string shortcut)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.CannedReplies.AsNoTracking().SingleOrDefaultAsync(r => r.Shortcut == shortcut);
    }

    /// <summary>A real PNG (a soft gradient), so the browser draws a thumbnail and the server's sniffing accepts it.</summary>
    private static byte[] Png(int width, int height)
    {
        var raw = new byte[(width * 3 + 1) * height];
        for (var y = 0; y < height; y++)
        {
            var row = y * (width * 3 + 1);
            for (var x = 0; x < width; x++)
            {
                raw[row + 1 + x * 3] = (byte)(40 + 180 * x / width);
                raw[row + 2 + x * 3] = (byte)(120 + 100 * y / height);
                raw[row + 3 + x * 3] = 200;
            }
        }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
