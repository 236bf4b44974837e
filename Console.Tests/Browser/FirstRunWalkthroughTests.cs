using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OperatorConsole.Tests.Signup;
using OperatorConsole.Tests.Support;
using Xunit.Abstractions;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// A brand-new business's first minutes, as its owner walks them alone: sign-up, the mailed link, connecting its WhatsApp
/// number (verified against a local Graph API), and the bot answering a simulated customer on that number. Sends are Live:
/// the check and the bot's reply both go to the fake Graph API, as they would go to Meta.
/// </summary>
public sealed class FirstRunBrowserApp : ChannelsBrowserApp
{
    protected override IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?> { ["Signup:PowBits"] = "10" };
}

public class FirstRunWalkthroughTests(FirstRunBrowserApp fixture, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<FirstRunBrowserApp>, IClassFixture<BrowserFixture>
{
    private static ILocator Field(IPage page, string testId) => page.Locator($"[data-testid={testId}] input, input[data-testid={testId}]").First;

    private static async Task ReadyAsync(IPage page) =>
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    [Fact]
    public Task A_new_owner_goes_from_sign_up_to_the_bot_answering_a_customer_on_the_number_they_connected_on_a_laptop() => WalkthroughAsync("desktop", 1366, 800);

    /// <summary>The same walk on a phone, with its screenshots for docs: `./console.sh proof`.</summary>
    [Fact]
    [Trait("Category", "Screenshots")]
    public Task A_new_owner_goes_from_sign_up_to_the_bot_answering_a_customer_on_the_number_they_connected_on_a_phone() => WalkthroughAsync("phone", 390, 844);

    private async Task WalkthroughAsync(string device, int width, int height)
    {
        var phone = device == "phone";
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.App.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = phone, HasTouch = phone,
        });
        var page = await context.NewPageAsync();
        var clock = Stopwatch.StartNew();
        async Task ShotAsync(int step, string name) =>
            await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"first-run-{step}-{name}-{device}-es.png") });

        // 1. Sign up.
        await page.GotoAsync("/Account/Register");
        var business = "Barbería Don Pepe " + TestData.Unique("w")[^4..];
        var email = $"{TestData.Unique("pepe")}@signup.test";
        await page.GetByLabel("Nombre del negocio").FillAsync(business);
        await page.GetByLabel("Tu nombre").FillAsync("José Pérez");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(SignupForms.Password);
        await page.GetByLabel("País").SelectOptionAsync(new SelectOptionValue { Label = "México" });
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Crear cuenta" });
        await Assertions.Expect(create).ToBeEnabledAsync();
        await ShotAsync(1, "register");
        await create.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Revisa tu correo" })).ToBeVisibleAsync();

        // 2. The mailed link opens the workspace on its checklist.
        var mail = await Eventually.GetAsync(async () => (await SignupForms.MailsToAsync(fixture.App, email)).FirstOrDefault(), m => m is not null, "the confirmation mail");
        await page.GotoAsync(new Uri(SignupForms.Link(mail!.HtmlBody)).PathAndQuery);
        await ReadyAsync(page);
        await Assertions.Expect(page.GetByTestId("onboarding-item-channel")).ToHaveAttributeAsync("data-done", "false");
        await ShotAsync(2, "home");

        // 3. Connect the WhatsApp number from the checklist; Meta (the fake) knows the token and names the number.
        var number = ChannelData.NewExternalId();
        fixture.Graph.GrantRead("EAAG-pepe-token", number);
        fixture.Graph.Describe(number, new { display_phone_number = "+52 33 5555 0101", verified_name = "Barbería Don Pepe" });
        await page.GetByTestId("onboarding-item-channel").GetByRole(AriaRole.Link, new() { Name = "Abrir" }).ClickAsync();
        await page.WaitForURLAsync("**/channels");
        await ReadyAsync(page);
        await page.GetByTestId("connect-menu").ClickAsync();
        await page.GetByTestId("connect-whatsapp").ClickAsync();
        await Field(page, "field-external-id").FillAsync(number);
        await Field(page, "field-account-id").FillAsync("203948576102");
        await Field(page, "field-token").FillAsync("EAAG-pepe-token");
        await ShotAsync(3, "connect");
        await page.GetByTestId("connect-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("channels-notice")).ToContainTextAsync("Barbería Don Pepe (+52 33 5555 0101)");
        await ShotAsync(4, "channels");

        // 4. A simulated customer writes to that number and the bot answers.
        await page.GotoAsync("/");
        await ReadyAsync(page);
        await Assertions.Expect(page.GetByTestId("onboarding-item-channel")).ToHaveAttributeAsync("data-done", "true");
        await page.GetByTestId("onboarding-item-try").GetByRole(AriaRole.Link, new() { Name = "Abrir" }).ClickAsync();
        await page.WaitForURLAsync("**/simulator");
        await ReadyAsync(page);
        await page.GetByPlaceholder("Mensaje como cliente").FillAsync("Hola, buenas tardes");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        var messages = page.GetByTestId("sim-message");
        await Assertions.Expect(messages.Filter(new() { HasText = "Hola, buenas tardes" })).ToBeVisibleAsync();
        // The bot waits for the customer to finish typing (the burst window) before it answers.
        await Assertions.Expect(page.Locator(".bubble.bot").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await ShotAsync(5, "simulator");
        // The reply really left for Meta, from the number the owner connected.
        await Eventually.TrueAsync(() => Task.FromResult(fixture.Graph.Sends.Any(r => r.Path.Contains($"/{number}/messages"))), "the bot's reply sent to Meta");

        // 5. Home: the two steps walked are ticked.
        await page.GotoAsync("/");
        await ReadyAsync(page);
        await Assertions.Expect(page.GetByTestId("onboarding-item-try")).ToHaveAttributeAsync("data-done", "true");
        await Assertions.Expect(page.GetByTestId("onboarding-progress")).ToHaveTextAsync(new Regex("2 de 5"));
        await ShotAsync(6, "home-after");
        output.WriteLine($"{device}: sign-up to the bot's first answer in {clock.Elapsed.TotalSeconds:0} s of scripted clicks");
    }
}
