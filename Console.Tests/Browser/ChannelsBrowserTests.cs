using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The console on a real socket, sending Live to a local fake Graph API, without Embedded Signup configured.</summary>
public sealed class ChannelsBrowserApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public RealSocketApp App { get; private set; } = default!;

    public sealed class RealSocketApp(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, settings)
    {
        protected override bool UseRealSocket => true;
    }

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        App = new RealSocketApp(new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
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
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
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
        await page.GetByTestId("connect-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("channels-notice")).ToContainTextAsync("Conectado: Tienda Sol (+52 55 1234 5678)");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Tienda Sol (+52 55 1234 5678)" });
        await Assertions.Expect(row.GetByTestId("channel-status")).ToHaveTextAsync("Activo");
        Assert.True(await StoredAsync(tenant.Id, phone));
        // The token is never shown back.
        Assert.DoesNotContain("EAAG-correct-token", await page.ContentAsync());
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-desktop-es.png") });

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
        await Assertions.Expect(page.GetByText("¿Tienen cita mañana?")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("channel-readonly")).ToContainTextAsync("puedes leerla, pero no responder");
        await Assertions.Expect(page.GetByTestId("composer")).ToHaveCountAsync(0);

        // The same page in English, with the disconnected channel listed under its name.
        await page.GotoAsync("/Culture/Set?culture=en&returnUrl=%2Fchannels");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("channel-status").First).ToHaveTextAsync("Disconnected");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("channels-desktop-en.png") });
    }
}
