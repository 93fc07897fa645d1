// The page's elements by id.
export const $ = <E extends HTMLElement>(id: string): E => document.getElementById(id) as E;
