// Every contender, in the order the tables show them.
import { oursPeer } from "./ours.js";
import { ortNode, ortNodePast, ortWeb, ortWebPast } from "./onnxruntime.js";
import { tunedJs } from "./tuned-js.js";
import { naiveJs } from "./naive-js.js";
import { streamFloor } from "./stream-floor.js";
import type { Peer } from "./types.js";

export const peers: Peer[] = [
  oursPeer("relaxed-simd"), oursPeer("simd"), oursPeer("simd", true), oursPeer("scalar"),
  ortWeb, ortWebPast, ortNode, ortNodePast,
  tunedJs, naiveJs, streamFloor,
];

/** The build the targets are judged on: Node's default flags run the simd build. */
export const HEADLINE = "ours-simd";
