using Microsoft.Playwright;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

public class MediaBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Opening_a_media_link_to_an_svg_with_a_script_runs_no_script_on_the_apps_origin()
    {
        var tenant = await app.TenantAsync();
        var link = await MediaServingTests.StoredSvgLinkAsync(app, tenant.Id);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(),
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        var download = page.WaitForDownloadAsync(new() { Timeout = 15_000 });

        try
        {
            await page.GotoAsync(link);
        }
        catch (PlaywrightException ex) when (ex.Message.Contains("Download is starting") || ex.Message.Contains("ERR_ABORTED"))
        {
            // Served as an attachment: the browser downloads it instead of opening it, which is the point.
        }

        // Had the svg been rendered as a page of this origin, its script would have renamed the page and set a global.
        Assert.NotEqual("pwned", await page.TitleAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.pwned === undefined"));
        Assert.EndsWith(".bin", (await download).SuggestedFilename);
    }
}
