using Microsoft.Playwright;
using OperatorConsole.Tests.Signup;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>A real socket, no demo data, and a proof-of-work light enough for a loaded CI machine (the script is the same).</summary>
public sealed class SignupBrowserAppFactory() : ConsoleAppFactory(null, new Dictionary<string, string?> { ["Signup:PowBits"] = "10" })
{
    protected override bool UseRealSocket => true;
}

/// <summary>A brand-new owner, in Spanish, from the sign-in page through sign-up and the mailed link to the home checklist.</summary>
public class SignupBrowserTests(SignupBrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<SignupBrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task RegisterVerifyAndLandAsync(ViewportSize viewport, bool phone, string shot)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = viewport, IsMobile = phone, HasTouch = phone,
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add("page error: " + e);

        await page.GotoAsync("/Account/Login");
        await page.GetByRole(AriaRole.Link, new() { Name = "Crea una cuenta" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Register$"));
        var business = "Estética Lupita " + TestData.Unique("b");
        var email = $"{TestData.Unique("lupita")}@signup.test";
        await page.GetByLabel("Nombre del negocio").FillAsync(business);
        await page.GetByLabel("Tu nombre").FillAsync("Lupita Hernández");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(SignupForms.Password);
        await page.GetByLabel("País").SelectOptionAsync(new SelectOptionValue { Label = "Colombia" });
        // The button turns on once the script runs; the proof itself is found in the background.
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Crear cuenta" });
        await Assertions.Expect(create).ToBeEnabledAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"register-{shot}-es.png"), FullPage = true });
        await create.ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Revisa tu correo" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"register-check-email-{shot}-es.png"), FullPage = true });

        var mail = Assert.Single(await SignupForms.MailsToAsync(app, email));
        await page.GotoAsync(new Uri(SignupForms.Link(mail.HtmlBody)).PathAndQuery);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/$"));
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var checklist = page.GetByTestId("onboarding-checklist");
        await Assertions.Expect(checklist).ToBeVisibleAsync();
        await Assertions.Expect(checklist.GetByText("Conecta un canal")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("onboarding-item-channel")).ToHaveAttributeAsync("data-done", "false");
        await Assertions.Expect(page.GetByTestId("trial-chip")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("Prueba: quedan 7 días"));
        // A phone shot of the whole page repeats the fixed top bar mid-page: the phone one is what the screen shows.
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"home-onboarding-{shot}-es.png"), FullPage = !phone });

        // Describe the business: the generated instructions are in Spanish and go live.
        await page.GetByTestId("onboarding-describe-open").ClickAsync();
        await page.GetByLabel("¿Qué vendes?").FillAsync("Cortes, tintes y manicure");
        await page.GetByLabel("Precios").FillAsync("Corte $25.000");
        await page.GetByTestId("describe-generate").ClickAsync();
        await Assertions.Expect(page.GetByTestId("describe-prompt")).ToHaveValueAsync(
            new System.Text.RegularExpressions.Regex("Cortes, tintes y manicure"));
        await Assertions.Expect(page.GetByTestId("describe-prompt")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^Eres el asistente virtual de Estética Lupita"));
        if (!phone) await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"home-onboarding-describe-{shot}-es.png"), FullPage = true });
        await page.GetByTestId("describe-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("onboarding-item-describe")).ToHaveAttributeAsync("data-done", "true");
        await Assertions.Expect(page.GetByTestId("onboarding-progress")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("1 de 5"));
        Assert.DoesNotContain(errors, e => e.Contains("Content Security Policy") || e.StartsWith("page error"));
    }

    [Fact]
    public async Task The_register_page_reads_in_English_for_an_English_browser()
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "en-US", ViewportSize = new ViewportSize { Width = 1366, Height = 800 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Register");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Create your account" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Country")).ToHaveValueAsync("US");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create account" })).ToBeEnabledAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("register-desktop-en.png"), FullPage = true });
    }

    [Fact]
    public async Task A_new_owner_signs_up_in_Spanish_confirms_by_mail_and_lands_on_the_checklist_on_desktop() =>
        await RegisterVerifyAndLandAsync(new ViewportSize { Width = 1366, Height = 800 }, phone: false, "desktop");

    [Fact]
    public async Task A_new_owner_signs_up_in_Spanish_confirms_by_mail_and_lands_on_the_checklist_on_a_phone() =>
        await RegisterVerifyAndLandAsync(new ViewportSize { Width = 390, Height = 844 }, phone: true, "phone");
}
