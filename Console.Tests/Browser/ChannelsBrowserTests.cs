using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The console on a real socket, sending Live to a local fake Graph API, without Embedded Signup configured.</summary>
public class ChannelsBrowserApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public RealSocketApp App { get; private set; } = default!;

    /// <summary>Extra settings (the Embedded Signup app) on top of Live sends to the fake.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?>();

    public sealed class RealSocketApp(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
    {
        protected override bool UseRealSocket => true;
    }

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
        };
        foreach (var (key, value) in Extra) settings[key] = value;
        App = new RealSocketApp(settings);
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

/// <summary>The same, with the platform's Meta app set up for WhatsApp Embedded Signup.</summary>
public sealed class SignupBrowserApp : ChannelsBrowserApp
{
    public const string AppId = "5550001112223";

    protected override IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?>
    {
        ["Meta:AppId"] = AppId, ["Meta:ConfigurationId"] = "cfg-es-1",
    };
}

/// <summary>An owner connects a WhatsApp number from the Channels page, in Spanish, and disconnects it again.</summary>
public class ChannelsBrowserTests(ChannelsBrowserApp fixture, BrowserFixture browser)
    : IClassFixture<ChannelsBrowserApp>, IClassFixture<BrowserFixture>
{
    private const string Password = "Owner!Chan1";
    private ConsoleAppFactory App => fixture.App;

    private static ILocator Field(IPage page, string testId) => page.Locator($"[data-testid={testId}] input, input[data-testid={testId}]").First;

    private async Task<IPage> SignInAsync(string slug, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.App.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/channels")}");
        await page.GetByLabel("Correo electrónico").FillAsync($"{slug}@owner.test");
        await page.GetByLabel("Contraseña").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/channels");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<bool> StoredAsync(Guid tenantId, string phone)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.Channels.AnyAsync(c => c.ExternalId == phone);
    }

    [Fact]
    public async Task Owner_connects_a_whatsapp_number_verified_by_meta_after_a_wrong_token_then_disconnects_it_and_its_chats_turn_read_only()
    {
        var tenant = await App.TenantAsync(password: Password);
        var phone = ChannelData.NewExternalId();
        fixture.Graph.GrantRead("EAAG-correct-token", phone);
        fixture.Graph.Describe(phone, new { display_phone_number = "+52 55 1234 5678", verified_name = "Tienda Sol" });

        var page = await SignInAsync(tenant.Slug, 1366, 800);
        await Assertions.Expect(page.GetByText("Aún no hay canales conectados.")).ToBeVisibleAsync();
        // Without Meta:AppId and Meta:ConfigurationId only manual entry is offered.
        await Assertions.Expect(page.GetByTestId("embedded-signup")).ToHaveCountAsync(0);

        await page.GetByTestId("connect-menu").ClickAsync();
        await page.GetByTestId("connect-whatsapp").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-form")).ToBeVisibleAsync();
        await Field(page, "field-external-id").FillAsync(phone);
        await Field(page, "field-account-id").FillAsync("102938475610");
        await Field(page, "field-token").FillAsync("EAAG-mistyped");
        await page.GetByTestId("connect-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-error")).ToContainTextAsync("El token de acceso no es válido");
        Assert.False(await StoredAsync(tenant.Id, phone));
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-connect-desktop-es.png") });

        await Field(page, "field-token").FillAsync("EAAG-correct-token");
        await Field(page, "field-verify-token").FillAsync("verificar-tienda-sol");
        await page.GetByTestId("connect-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("channels-notice")).ToContainTextAsync("Conectado: Tienda Sol (+52 55 1234 5678)");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Tienda Sol (+52 55 1234 5678)" });
        await Assertions.Expect(row.GetByTestId("channel-status")).ToHaveTextAsync("Activo");
        Assert.True(await StoredAsync(tenant.Id, phone));
        // The token is never shown back.
        Assert.DoesNotContain("EAAG-correct-token", await page.ContentAsync());
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-desktop-es.png") });

        // For the business's own Meta app: the callback URL and verify token, each with a copy button.
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await row.GetByTestId("channel-actions").ClickAsync();
        await page.GetByTestId("action-webhook").ClickAsync();
        await Assertions.Expect(page.GetByTestId("webhook-url")).ToHaveTextAsync(new Regex($"^https?://.+/webhooks/whatsapp/{tenant.Slug}$"));
        await Assertions.Expect(page.GetByTestId("verify-token")).ToHaveTextAsync("verificar-tienda-sol");
        await page.GetByTestId("copy-verify-token").ClickAsync();
        await Assertions.Expect(page.GetByTestId("copied")).ToHaveTextAsync("Copiado.");
        Assert.Equal("verificar-tienda-sol", await page.EvaluateAsync<string>("navigator.clipboard.readText()"));
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.GetByTestId("webhook-info")).ToHaveCountAsync(0);

        var phonePage = await SignInAsync(tenant.Slug, 390, 844);
        await Assertions.Expect(phonePage.GetByText("Tienda Sol (+52 55 1234 5678)")).ToBeVisibleAsync();
        await phonePage.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-phone-es.png"), FullPage = true });
        await phonePage.Context.CloseAsync();

        Channel channel;
        await using (var work = App.Scopes.ForTenant(tenant.Id))
            channel = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.ExternalId == phone);
        var conversation = await App.ConversationAsync(tenant.Id, "Ana Ruiz", "¿Tienen cita mañana?", channel, customerId: "5215512340000");

        await row.GetByTestId("channel-actions").ClickAsync();
        await page.GetByTestId("action-disconnect").ClickAsync();
        await page.GetByTestId("disconnect-confirm").ClickAsync();
        await Assertions.Expect(page.GetByTestId("channels-notice")).ToContainTextAsync("está desconectado");
        await Assertions.Expect(page.GetByTestId("channel-status").First).ToHaveTextAsync("Desconectado");

        await page.GotoAsync($"/inbox/{conversation.Id}");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("message").GetByText("¿Tienen cita mañana?")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("channel-readonly")).ToContainTextAsync("puedes leerla, pero no responder");
        await Assertions.Expect(page.GetByTestId("composer")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-channel-readonly-desktop-es.png") });

        // The same page in English, with the disconnected channel listed under its name.
        await page.GotoAsync("/Culture/Set?culture=en&returnUrl=%2Fchannels");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("channel-status").First).ToHaveTextAsync("Disconnected");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-desktop-en.png") });
    }
}

/// <summary>
/// WhatsApp Embedded Signup from the page. Real Facebook is not reachable here: the browser is served a stand-in for
/// Meta's SDK (FB.init / FB.login) and a facebook.com frame that posts Meta's WA_EMBEDDED_SIGNUP session message, so the
/// page's own script, the CSP of /channels, the antiforgery-protected post and the server-side exchange all run for real.
/// </summary>
public class EmbeddedSignupBrowserTests(SignupBrowserApp fixture, BrowserFixture browser)
    : IClassFixture<SignupBrowserApp>, IClassFixture<BrowserFixture>
{
    private const string Password = "Owner!Signup9";

    private static string FakeSdk(string code) => $$"""
        window.FB = {
          init(options) { window.__fbInit = options; },
          login(callback, options) {
            window.__fbLogin = options;
            window.addEventListener('message', (e) => {
              if (e.origin === 'https://www.facebook.com') callback({ authResponse: { code: '{{code}}' }, status: 'connected' });
            }, { once: true });
            const frame = document.createElement('iframe');
            frame.src = 'https://www.facebook.com/embedded-signup-stand-in';
            frame.style.display = 'none';
            document.body.appendChild(frame);
          },
        };
        if (window.fbAsyncInit) window.fbAsyncInit();
        """;

    private static string SessionFrame(string phone, string waba) => $$"""
        <!doctype html><script>
        parent.postMessage(JSON.stringify({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', data: { phone_number_id: '{{phone}}', waba_id: '{{waba}}' } }), '*');
        </script>
        """;

    [Fact]
    public async Task Owner_connects_whatsapp_through_meta_embedded_signup_and_the_code_is_exchanged_on_the_server()
    {
        var tenant = await fixture.App.TenantAsync(password: Password);
        var (phone, waba, code) = (ChannelData.NewExternalId(), ChannelData.NewExternalId(), "es-code-" + Guid.NewGuid().ToString("N"));
        var businessToken = "EAAB-" + Guid.NewGuid().ToString("N");
        fixture.Graph.UseApp(SignupBrowserApp.AppId, "test-meta-app-secret");
        fixture.Graph.IssueCode(code, businessToken);
        fixture.Graph.GrantRead(businessToken, phone, waba);
        fixture.Graph.Describe(phone, new { display_phone_number = "+57 300 555 0101", verified_name = "Café Andino" });

        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.App.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1366, Height = 800 },
        });
        await context.RouteAsync("https://connect.facebook.net/**", r => r.FulfillAsync(new() { ContentType = "application/javascript", Body = FakeSdk(code) }));
        await context.RouteAsync("https://www.facebook.com/**", r => r.FulfillAsync(new() { ContentType = "text/html", Body = SessionFrame(phone, waba) }));
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/channels")}");
        await page.GetByLabel("Correo electrónico").FillAsync($"{tenant.Slug}@owner.test");
        await page.GetByLabel("Contraseña").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/channels");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        var signup = page.GetByTestId("embedded-signup");
        await Assertions.Expect(signup).ToHaveTextAsync("Conectar WhatsApp con Meta");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-signup-desktop-es.png") });
        await signup.ClickAsync();

        await Assertions.Expect(page.GetByTestId("channels-notice")).ToContainTextAsync("Conectado: Café Andino (+57 300 555 0101)");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Café Andino" });
        await Assertions.Expect(row.GetByTestId("channel-status")).ToHaveTextAsync("Activo");
        // FB.login was launched as Embedded Signup asks: the configuration, a code (not a token), session info.
        var login = await page.EvaluateAsync<System.Text.Json.JsonElement>("window.__fbLogin");
        Assert.Equal(("cfg-es-1", "code", true, "3"), (login.GetProperty("config_id").GetString(), login.GetProperty("response_type").GetString(),
            login.GetProperty("override_default_response_type").GetBoolean(), login.GetProperty("extras").GetProperty("sessionInfoVersion").GetString()));
        Assert.Equal(SignupBrowserApp.AppId, (await page.EvaluateAsync<System.Text.Json.JsonElement>("window.__fbInit")).GetProperty("appId").GetString());
        Assert.Contains(fixture.Graph.Subscriptions, s => s.Path.Contains($"/{waba}/") && s.Authorization == $"Bearer {businessToken}");
        Assert.DoesNotContain(businessToken, await page.ContentAsync());
        await context.CloseAsync();
    }
}
