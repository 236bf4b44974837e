using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The demo app on a real socket, sending for real (Outbound:Mode=Live) to a local fake Graph API.</summary>
public sealed class LiveInboxBrowserApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public BrowserNodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        App = new BrowserNodeAppFactory(new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
            // These tests are about what people do in the inbox: the AI agent (tested on its own) stays out of their chats.
            ["Agent:Workers"] = "0",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

public sealed class BrowserNodeAppFactory(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
{
    protected override bool SeedDemo => true;
    protected override bool UseRealSocket => true;
}

/// <summary>
/// The operator inbox in a real browser: live messages, takeover, replies with ticks from status webhooks, the
/// template picker, two agents seeing each other's assignment, and another tenant's URL showing nothing.
/// </summary>
public class InboxBrowserTests(LiveInboxBrowserApp live, BrowserFixture browser)
    : IClassFixture<LiveInboxBrowserApp>, IClassFixture<BrowserFixture>
{
    private BrowserNodeAppFactory App => live.App;

    private async Task<IPage> SignInAsync(string email, string returnUrl, string password = DemoSeeder.Password, int width = 1440, int height = 900,
        string locale = "es-MX")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(locale.StartsWith("es") ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(locale.StartsWith("es") ? "Contraseña" : "Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = locale.StartsWith("es") ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private WebhookClient Webhooks => new(new HttpClient { BaseAddress = App.ServerAddress });

    private async Task<Guid> DemoTenantIdAsync()
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
    }

    /// <summary>A customer nobody has seen writes to the demo WhatsApp number; returns their wa_id and the conversation.</summary>
    private async Task<(string WaId, Guid ConversationId)> CustomerWritesAsync(string text, string? name = null)
    {
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        await PostTextAsync(waId, text, name);
        var tenantId = await DemoTenantIdAsync();
        var conversationId = await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(tenantId);
            return await (from i in work.Db.ContactIdentities
                          join c in work.Db.Conversations on i.ContactId equals c.ContactId
                          where i.Value == waId
                          select (Guid?)c.Id).FirstOrDefaultAsync();
        }, id => id is not null, "the webhook to be processed");
        return (waId, conversationId!.Value);
    }

    private async Task PostTextAsync(string waId, string text, string? name = null)
    {
        var response = await Webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(DemoSeeder.WhatsAppPhoneNumberId, waId,
            "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow, name ?? "Cliente Prueba"));
        Assert.True(response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
    }

    private async Task<Conversation> ConversationAsync(Guid id)
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        return await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == id);
    }

    [Fact]
    public async Task A_customer_message_appears_in_the_open_conversation_without_reload()
    {
        var (waId, conversationId) = await CustomerWritesAsync("Hola, ¿tienen citas el sábado?", "Valeria Live");
        var page = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{conversationId}");
        var timeline = page.GetByTestId("chat-timeline");
        await Assertions.Expect(timeline.GetByText("Hola, ¿tienen citas el sábado?")).ToBeVisibleAsync();

        await PostTextAsync(waId, "Y también quisiera saber el precio de la limpieza");

        await Assertions.Expect(timeline.GetByText("Y también quisiera saber el precio de la limpieza")).ToBeVisibleAsync(new() { Timeout = 15000 });
        // The list reorders live too: the newest conversation is on top with the new preview.
        var first = page.GetByTestId("conversation-row").First;
        await Assertions.Expect(first).ToContainTextAsync("Valeria Live");
    }

    [Fact]
    public async Task Taking_over_changes_the_owner_badge_and_cancels_the_pending_bot_turn()
    {
        var (_, conversationId) = await CustomerWritesAsync("Quiero hablar con una persona", "Tomás Takeover");
        var page = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{conversationId}");
        var badge = page.GetByTestId("owner-badge");
        await Assertions.Expect(badge).ToContainTextAsync("Bot");

        await page.GetByRole(AriaRole.Button, new() { Name = "Tomar control" }).ClickAsync();

        await Assertions.Expect(badge).ToContainTextAsync("Andrés Agente");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Devolver al bot" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("event").Filter(new() { HasText = "tomó el control" })).ToBeVisibleAsync();
        var conversation = await ConversationAsync(conversationId);
        Assert.Equal(ConversationOwner.Human, conversation.Owner);
        Assert.Null(conversation.AgentDueAt);
    }

    [Fact]
    public async Task An_agents_reply_reaches_the_Graph_API_and_its_ticks_go_sent_delivered_read()
    {
        var (waId, conversationId) = await CustomerWritesAsync("¿Me confirman mi cita?", "Rita Ticks");
        var page = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{conversationId}");

        await page.GetByLabel("Escribe un mensaje").FillAsync("Confirmada para el jueves a las 10:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar", Exact = true }).ClickAsync();

        var send = await Eventually.GetAsync(() => Task.FromResult(live.Graph.Sends.FirstOrDefault(s => s.Body?["to"]?.GetValue<string>() == waId)),
            s => s is not null, "the reply to reach the fake Graph API");
        Assert.Equal("Confirmada para el jueves a las 10:00", send!.Body!["text"]!["body"]!.GetValue<string>());
        var bubble = page.GetByTestId("message").Filter(new() { HasText = "Confirmada para el jueves" });
        await Assertions.Expect(bubble.GetByLabel("Enviado")).ToBeVisibleAsync(new() { Timeout = 15000 });

        var wamid = await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
            return await work.Db.Messages.Where(m => m.ConversationId == conversationId && m.Direction == MessageDirection.Outbound)
                .Select(m => m.ExternalId).FirstOrDefaultAsync();
        }, id => id is not null, "the wamid to be stored");
        await Webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppStatus(DemoSeeder.WhatsAppPhoneNumberId, wamid!, "delivered", DateTimeOffset.UtcNow));
        await Assertions.Expect(bubble.GetByLabel("Entregado")).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Webhooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppStatus(DemoSeeder.WhatsAppPhoneNumberId, wamid!, "read", DateTimeOffset.UtcNow));
        await Assertions.Expect(bubble.GetByLabel("Leído")).ToBeVisibleAsync(new() { Timeout = 15000 });
        // Replying took the conversation over: the bot will not talk over the agent.
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToContainTextAsync("Andrés Agente");
    }

    [Fact]
    public async Task A_closed_window_disables_free_text_and_offers_the_template_picker()
    {
        var tenantId = await DemoTenantIdAsync();
        OperatorConsole.Domain.Channels.Channel whatsapp;
        await using (var work = App.Scopes.ForTenant(tenantId))
            whatsapp = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.ExternalId == DemoSeeder.WhatsAppPhoneNumberId);
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        var conversation = await App.ConversationAsync(tenantId, "Olga Ventana", "Gracias, lo pienso", whatsapp, waId, DateTimeOffset.UtcNow.AddHours(-30));
        await using (var work = App.Scopes.ForTenant(tenantId))
        {
            work.Db.MessageTemplates.Add(OperatorConsole.Domain.Templates.MessageTemplate.Record(tenantId, whatsapp.Id, "recordatorio_cita", "es_MX",
                OperatorConsole.Domain.Templates.TemplateCategory.Utility, OperatorConsole.Domain.Templates.TemplateStatus.Approved,
                """[{"type":"BODY","text":"Hola {{1}}, te esperamos el {{2}}."}]""", "555", null, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        var page = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{conversation.Id}");

        await Assertions.Expect(page.GetByTestId("window-closed")).ToContainTextAsync("La ventana de 24 horas está cerrada");
        await Assertions.Expect(page.GetByLabel("Escribe un mensaje")).ToHaveCountAsync(0);
        // The agent picks from the number's approved templates (no names to type) and fills one field per variable.
        await page.GetByTestId("template-select").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "recordatorio_cita · es_MX" }).ClickAsync();
        await page.GetByLabel("Parámetro {1}").FillAsync("Olga");
        await page.GetByLabel("Parámetro {2}").FillAsync("jueves a las 10:00");
        await Assertions.Expect(page.GetByTestId("template-preview-body")).ToHaveTextAsync("Hola Olga, te esperamos el jueves a las 10:00.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar plantilla" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "[recordatorio_cita] Olga" })).ToBeVisibleAsync();
        var send = await Eventually.GetAsync(() => Task.FromResult(live.Graph.Sends.FirstOrDefault(s => s.Body?["to"]?.GetValue<string>() == waId)),
            s => s is not null, "the template to reach the fake Graph API");
        Assert.Equal("template", send!.Body!["type"]!.GetValue<string>());
        Assert.Equal("recordatorio_cita", send.Body!["template"]!["name"]!.GetValue<string>());
        var parameters = send.Body["template"]!["components"]![0]!["parameters"]!.AsArray();
        Assert.Equal(["Olga", "jueves a las 10:00"], parameters.Select(p => p!["text"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task Two_agents_in_two_browsers_see_each_others_assignment_live()
    {
        var (_, conversationId) = await CustomerWritesAsync("Necesito ayuda con mi factura", "Fabiola Dos");
        var owner = await SignInAsync(DemoSeeder.OwnerEmail, $"/inbox/{conversationId}");
        var agent = await SignInAsync(DemoSeeder.AgentEmail, $"/inbox/{conversationId}");
        await Assertions.Expect(agent.GetByTestId("owner-badge")).ToContainTextAsync("Bot");

        await owner.GetByRole(AriaRole.Button, new() { Name = "Asignar" }).ClickAsync();
        await owner.GetByRole(AriaRole.Menuitem, new() { Name = "Andrés Agente" }).ClickAsync();

        await Assertions.Expect(agent.GetByTestId("owner-badge")).ToContainTextAsync("Andrés Agente", new() { Timeout = 15000 });
        await Assertions.Expect(agent.GetByTestId("event").Filter(new() { HasText = "Asignada a Andrés Agente" })).ToBeVisibleAsync();

        await agent.GetByRole(AriaRole.Button, new() { Name = "Devolver al bot" }).ClickAsync();
        await Assertions.Expect(owner.GetByTestId("owner-badge")).ToContainTextAsync("Bot", new() { Timeout = 15000 });
    }

    [Fact]
    public async Task An_agent_of_another_tenant_cannot_open_a_conversation_by_URL()
    {
        var (_, conversationId) = await CustomerWritesAsync("Mi número privado es 5512345678", "Privada Pérez");
        var other = await App.TenantAsync(password: "Otr0!Tenant");
        var page = await SignInAsync($"{other.Slug}@owner.test", $"/inbox/{conversationId}", "Otr0!Tenant");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Conversación no encontrada" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Privada Pérez")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("5512345678")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_note_mentioning_a_teammate_pops_up_on_their_screen_and_a_canned_reply_fills_the_composer()
    {
        var (_, conversationId) = await CustomerWritesAsync("¿A qué hora abren?", "Nora Notas");
        var tenantId = await DemoTenantIdAsync();
        var shortcut = "horario" + Random.Shared.Next(1000, 9999);
        var owner = await SignInAsync(DemoSeeder.OwnerEmail, $"/inbox/{conversationId}");
        await App.Commands().SaveCannedReplyAsync(OperatorConsole.Infrastructure.Inbox.InboxActor.Integration(tenantId), null, shortcut,
            "Abrimos de lunes a sábado de 9:00 a 19:00.");
        var agent = await SignInAsync(DemoSeeder.AgentEmail, "/inbox");

        await owner.GetByRole(AriaRole.Radio, new() { Name = "Nota interna" }).ClickAsync();
        await owner.GetByLabel("Nota para tu equipo; @nombre avisa").FillAsync("@Andrés Agente ¿le contestas tú?");
        await owner.GetByRole(AriaRole.Button, new() { Name = "Agregar nota" }).ClickAsync();

        await Assertions.Expect(owner.GetByTestId("note").Filter(new() { HasText = "¿le contestas tú?" })).ToBeVisibleAsync();
        await Assertions.Expect(agent.GetByText("Olivia Dueñas te mencionó en una nota")).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Assertions.Expect(agent.GetByLabel("1 menciones nuevas")).ToBeVisibleAsync();

        await agent.GotoAsync($"/inbox/{conversationId}");
        await agent.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await agent.GetByLabel("Escribe un mensaje").FillAsync("/" + shortcut[..5]);
        await agent.GetByRole(AriaRole.Option).Filter(new() { HasText = "/" + shortcut }).ClickAsync();
        await Assertions.Expect(agent.GetByLabel("Escribe un mensaje")).ToHaveValueAsync("Abrimos de lunes a sábado de 9:00 a 19:00.");
        await agent.GetByRole(AriaRole.Button, new() { Name = "Enviar", Exact = true }).ClickAsync();
        await Assertions.Expect(agent.GetByTestId("message").Filter(new() { HasText = "Abrimos de lunes a sábado" })).ToBeVisibleAsync();
    }

    [Theory]
    [Trait("Category", "Screenshots")]
    [InlineData("es-MX", "es", 1440, 900)]
    [InlineData("en-US", "en", 1440, 900)]
    [InlineData("es-MX", "es", 390, 844)]
    [InlineData("en-US", "en", 390, 844)]
    public async Task Inbox_screenshots_on_a_laptop_and_a_phone(string locale, string language, int width, int height)
    {
        var carlos = await CarlosAsync();
        // An owner of the demo business of its own, with the language saved, so no other test's user changes language.
        var tenantId = await DemoTenantIdAsync();
        var owner = await App.MemberAsync(tenantId, language == "es" ? "Olivia Dueñas" : "Olivia Owner", TenantRole.Owner, "Shot!2345", language);
        var page = await SignInAsync(await App.EmailOfAsync(tenantId, owner.MemberId!.Value), "/inbox", "Shot!2345", width, height, locale);
        var device = width < 600 ? "phone" : "desktop";
        // The list's own screenshots (inbox-list-*) come from InboxListBrowserTests, with a label and a waiting customer.
        await page.GotoAsync($"/inbox/{carlos}");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("owner-badge")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"inbox-chat-{device}-{language}.png") });
    }

    private async Task<Guid> CarlosAsync()
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        return await (from c in work.Db.Conversations join k in work.Db.Contacts on c.ContactId equals k.Id
                      where k.Name == "Carlos Ramírez" select c.Id).FirstAsync();
    }
}
