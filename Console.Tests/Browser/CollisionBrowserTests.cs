using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>Two nodes on one database, as behind a load balancer: the demo workspace on A, a second node B, both on real sockets.</summary>
public sealed class TwoDemoNodes : IAsyncLifetime
{
    // Short typing period so "is typing" visibly lapses within a test; the AI agent stays out of the conversations.
    private static readonly Dictionary<string, string?> Settings = new() { ["Agent:Workers"] = "0", ["Live:TypingSeconds"] = "3" };

    public BrowserNodeAppFactory A { get; } = new(Settings);
    public SocketNodeFactory B { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new SocketNodeFactory(A.Database, Settings);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

/// <summary>
/// Two people on the same conversation, each on another node: each sees the other there, sees them typing (and that
/// stop a few seconds after the last key), and sees them leave, so two agents do not answer the customer at once.
/// </summary>
public class CollisionBrowserTests(TwoDemoNodes nodes, BrowserFixture browser) : IClassFixture<TwoDemoNodes>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(Uri node, string email, string returnUrl, int width = 1366, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = node.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>A customer nobody has seen writes to the demo WhatsApp number (through node A); returns the conversation.</summary>
    private async Task<Guid> CustomerWritesAsync(string text, string name)
    {
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        var response = await new WebhookClient(new HttpClient { BaseAddress = nodes.A.ServerAddress }).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(DemoSeeder.WhatsAppPhoneNumberId, waId, "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow, name));
        Assert.True(response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
        var conversationId = await Eventually.GetAsync(async () =>
        {
            Guid tenantId;
            await using (var system = nodes.A.Scopes.ForSystem("test"))
                tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
            await using var work = nodes.A.Scopes.ForTenant(tenantId);
            return await (from i in work.Db.ContactIdentities
                          join c in work.Db.Conversations on i.ContactId equals c.ContactId
                          where i.Value == waId
                          select (Guid?)c.Id).FirstOrDefaultAsync();
        }, id => id is not null, "the webhook to be processed");
        return conversationId!.Value;
    }

    [Fact]
    public async Task Two_agents_on_different_nodes_see_each_other_viewing_and_typing_and_it_clears()
    {
        var conversation = await CustomerWritesAsync("¿Me pueden dar precio de una limpieza?", "Tere Choque");
        var agent = await SignInAsync(nodes.A.ServerAddress, DemoSeeder.AgentEmail, $"/inbox/{conversation}");
        // The owner works on a phone, through the other node.
        var owner = await SignInAsync(nodes.B.ServerAddress, DemoSeeder.OwnerEmail, $"/inbox/{conversation}", 390, 844);

        var agentHeader = agent.GetByTestId("conversation-header");
        var ownerHeader = owner.GetByTestId("conversation-header");
        await Assertions.Expect(agentHeader.GetByTestId("collision-viewing")).ToHaveTextAsync("También aquí: Olivia");
        await Assertions.Expect(ownerHeader.GetByTestId("collision-viewing")).ToHaveTextAsync("También aquí: Andrés");

        await owner.GetByLabel("Escribe un mensaje").PressSequentiallyAsync("Hola Tere, la limpieza", new() { Delay = 40 });
        await Assertions.Expect(agentHeader.GetByTestId("collision-typing")).ToHaveTextAsync("Olivia está escribiendo…");
        await agent.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-collision-desktop-es.png") });
        // No key for a few seconds: the indicator goes, the presence stays.
        await Assertions.Expect(agentHeader.GetByTestId("collision-typing")).ToHaveCountAsync(0);
        await Assertions.Expect(agentHeader.GetByTestId("collision-viewing")).ToHaveTextAsync("También aquí: Olivia");

        await agent.GetByLabel("Escribe un mensaje").PressSequentiallyAsync("Yo le contesto", new() { Delay = 40 });
        await Assertions.Expect(ownerHeader.GetByTestId("collision-typing")).ToHaveTextAsync("Andrés está escribiendo…");
        // On the phone the indicator fits its line whole.
        Assert.True(await ownerHeader.GetByTestId("collision-typing").EvaluateAsync<bool>("el => el.scrollWidth <= el.clientWidth"),
            "the typing indicator is cut on the phone");
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-collision-phone-es.png") });

        // The owner closes the browser: the agent is alone again. At once when the server sees the connection close (the
        // conversation stops counting even if the page's goodbye never arrived and the server keeps the circuit for a
        // reconnection); at worst when the owner's screen is no longer renewed, which a loaded machine can need.
        await owner.Context.CloseAsync();
        await Assertions.Expect(agentHeader.GetByTestId("collision-viewing")).ToHaveCountAsync(0, new() { Timeout = 60_000 });
        await Assertions.Expect(agentHeader.GetByTestId("collision-typing")).ToHaveCountAsync(0);
    }

    // The browser's notification and sound, recorded: whether the console alerted, and how often it asked for permission.
    private const string RecordAlerts = """
        window.__alerts = { shown: [], asked: 0, chimes: 0 };
        class FakeNotification {
          static permission = 'default';
          static async requestPermission() { window.__alerts.asked++; FakeNotification.permission = 'granted'; return 'granted'; }
          constructor(title, options) { window.__alerts.shown.push(title + ': ' + (options && options.body)); }
        }
        window.Notification = FakeNotification;
        window.Audio = class { play() { window.__alerts.chimes++; return Promise.resolve(); } };
        """;

    private async Task HandOffAsync(Guid conversation)
    {
        Guid tenantId;
        await using (var system = nodes.A.Scopes.ForSystem("test"))
            tenantId = await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var handoffs = nodes.A.Services.GetRequiredService<Handoffs>();
        Assert.True(await handoffs.HandOffAsync(tenantId, conversation, new HandoffRequest(HandoffReason.UserRequested, HandoffPriority.Normal, null), "es", default));
    }

    [Fact]
    public async Task A_customer_needing_a_person_rings_only_for_a_user_who_turned_alerts_on_and_permission_is_asked_once()
    {
        var page = await SignInAsync(nodes.A.ServerAddress, DemoSeeder.AgentEmail, "/inbox");
        await page.Context.AddInitScriptAsync(RecordAlerts);
        await page.ReloadAsync();
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var toggle = page.GetByTestId("alerts-toggle");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");

        // Off by default: the inbox shows it, nothing rings.
        await HandOffAsync(await CustomerWritesAsync("Quiero hablar con alguien", "Primo Silencio"));
        await Assertions.Expect(page.GetByText("Primo Silencio necesita a una persona")).ToBeVisibleAsync();
        Assert.Equal(0, await page.EvaluateAsync<int>("window.__alerts.shown.length + window.__alerts.chimes"));

        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
        await HandOffAsync(await CustomerWritesAsync("Necesito a una persona", "Segundo Aviso"));
        await Assertions.Expect(page.GetByText("Segundo Aviso necesita a una persona")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("window.__alerts.shown.some(s => s.includes('Segundo Aviso')) && window.__alerts.chimes === 1");
        Assert.Equal(1, await page.EvaluateAsync<int>("window.__alerts.asked"));

        // Remembered for this user: after a reload it is still on.
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("alerts-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Moving_to_another_conversation_stops_showing_as_here()
    {
        var first = await CustomerWritesAsync("Hola, ¿tienen cita el sábado?", "Rita Sábado");
        var second = await CustomerWritesAsync("¿Cuánto cuesta un blanqueamiento?", "Blanca Nieves");
        var agent = await SignInAsync(nodes.A.ServerAddress, DemoSeeder.AgentEmail, $"/inbox/{first}");
        var owner = await SignInAsync(nodes.B.ServerAddress, DemoSeeder.OwnerEmail, $"/inbox/{first}");
        await Assertions.Expect(agent.GetByTestId("collision-viewing")).ToHaveTextAsync("También aquí: Olivia");

        await owner.GetByTestId("conversation-row").Filter(new() { HasText = "Blanca Nieves" }).ClickAsync();
        await Assertions.Expect(owner).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/inbox/{second}$"));
        await Assertions.Expect(agent.GetByTestId("collision-viewing")).ToHaveCountAsync(0);
        await owner.Context.CloseAsync();
        await agent.Context.CloseAsync();
    }
}
