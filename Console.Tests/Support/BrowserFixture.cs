using Microsoft.Playwright;

namespace OperatorConsole.Tests.Support;

/// <summary>Debian's chromium driven by Playwright (Playwright cannot download its own browser here).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        // Expectations wait for their condition; on two cores shared with the whole parallel suite a Blazor circuit can
        // take longer than Playwright's 5 s default to render (a lone run takes well under one).
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CONSOLE_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                // A name only the browser resolves: proves the server never reuses the address a page was loaded from.
                "--host-resolver-rules=MAP *.console.test 127.0.0.1",
            ],
        });
    }

    /// <summary>
    /// A browser context for one user. A first page load pays for the circuit, the app's first compile of a page and a
    /// machine shared with the rest of the suite: navigations get a minute, not Playwright's 30 s, so a loaded machine
    /// makes a test slower rather than red. Actions and expectations keep their own timeouts.
    /// </summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        var context = await Browser.NewContextAsync(options);
        context.SetDefaultNavigationTimeout(60_000);
        return context;
    }

    /// <summary>A new context signed in through the login form as <paramref name="email"/>, on <paramref name="returnUrl"/> once the circuit is up.</summary>
    public async Task<IPage> SignInAsync(Uri server, string email, string password, string returnUrl, string locale, int width, int height)
    {
        var context = await NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.Locator("input[name='Input.Email']").FillAsync(email);
        await page.Locator("input[name='Input.Password']").FillAsync(password);
        await page.Locator("button[type='submit']").ClickAsync();
        try
        {
            await page.WaitForURLAsync("**" + returnUrl);
        }
        catch (TimeoutException e)
        {
            // Say where the sign-in went instead (the login form again with its message, an error page, another URL):
            // a loaded CI run once timed out here with nothing else to go on.
            throw new TimeoutException($"Signing in as {email} did not land on {returnUrl} within the navigation timeout: the page is at " +
                $"{page.Url}, showing \"{await VisibleTextAsync(page)}\"", e);
        }
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private static async Task<string> VisibleTextAsync(IPage page)
    {
        try
        {
            var text = string.Join(' ', (await page.Locator("body").InnerTextAsync(new() { Timeout = 5_000 }))
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return text.Length > 400 ? text[..400] + "…" : text;
        }
        catch (PlaywrightException e)
        {
            return $"(its text could not be read: {e.Message})";
        }
    }

    public async Task DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright?.Dispose();
    }

    /// <summary>
    /// Where screenshots go: TestResults/screenshots normally, docs/screenshots (the ones kept in the repository) when
    /// CONSOLE_UPDATE_SCREENSHOTS=1, so an ordinary test run never leaves the checkout modified.
    /// </summary>
    public static string ScreenshotPath(string name)
    {
        var dir = Environment.GetEnvironmentVariable("CONSOLE_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(App.Hosting.AppPaths.ContentRoot, "docs", "screenshots")
            : Path.Combine(App.Hosting.AppPaths.ContentRoot, "TestResults", "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }
}

public static class FileInputExtensions
{
    /// <summary>
    /// Chooses a file in a Blazor InputFile once the component has wired its change listener. The input is in the DOM
    /// a moment before its first render's JS call attaches that listener; a file chosen in between is silently ignored,
    /// as it would be for a person clicking that fast.
    /// </summary>
    public static async Task ChooseFileAsync(this ILocator input, FilePayload file)
    {
        await input.WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var handle = await input.ElementHandleAsync();
        await input.Page.WaitForFunctionAsync("el => el._blazorInputFileNextFileId !== undefined", handle);
        await input.SetInputFilesAsync(file);
    }
}
