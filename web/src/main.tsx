import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ConfigProvider } from "antd";
import { App } from "./App";

const queries = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 5_000 } } });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      {/* Ant Design's default blue and red are too light for text on white (WCAG AA asks 4.5:1). */}
      {/* No motion: dialogs and menus are where they are drawn at once (and a click lands where it is aimed). */}
      {/* An empty table's text in the same readable grey, not Ant Design's faint one. */}
      <ConfigProvider renderEmpty={() => <span style={{ color: "rgba(0, 0, 0, 0.65)" }}>Nothing here yet.</span>} theme={{ token: { motion: false, colorPrimary: "#0958d9", colorPrimaryHover: "#003eb3", colorLink: "#0958d9", colorLinkHover: "#003eb3", colorErrorHover: "#a8071a", colorError: "#cf1322", colorTextDescription: "rgba(0, 0, 0, 0.65)" } }}>
        <App />
      </ConfigProvider>
    </QueryClientProvider>
  </StrictMode>,
);
