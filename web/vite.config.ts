import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The portal is built into dist/, embedded in the landlord binary and served at /.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
});
