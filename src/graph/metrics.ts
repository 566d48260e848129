// Box text metrics, shared by the layout and the SVG renderer. A module of their own so that
// drawing (and the library) does not load ELK just to read three numbers.

/** A monospace font, so a label's width follows from its length. */
export const FONT_SIZE = 12;
export const CHAR_WIDTH = 7.2;
export const LINE_HEIGHT = 16;
