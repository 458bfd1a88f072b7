import { hexId } from './format';

/** Which upload created a session: its path decides the id's name and the sign it was checked with. */
export type UploadApi = 'geth5faceid' | 'getAdvFaceId' | 'getPlusFaceId' | 'getfaceid';

/** What an identity upload left at WeBank: the id it granted and the order, user and identity behind it. */
export interface FaceSession {
  faceId: string;
  api: UploadApi;
  appId: string;
  orderNo: string;
  userId: string;
  name?: string;
  idNo?: string;
  /** "1": real-time liveness only. */
  liveInterType?: string;
  createdAt: Date;
}

/**
 * The sessions identity uploads created, by faceId and by order, so the login can check the
 * URL against them and the scan page can give its result the id WeBank granted at start.
 * A second upload for the same order replaces the first (WeBank wants a new orderNo each time).
 */
export class FaceSessions {
  private readonly byId = new Map<string, FaceSession>();
  private readonly byOrderKey = new Map<string, FaceSession>();

  create(input: Omit<FaceSession, 'faceId' | 'createdAt'>): FaceSession {
    // h5faceId / faceId are 32 characters ("String 32"); the prefixes follow observed values.
    const session: FaceSession = {
      ...input,
      faceId: hexId(input.api === 'geth5faceid' ? 'wb' : 'tx', 15),
      createdAt: new Date(),
    };
    const key = this.key(input.appId, input.orderNo);
    const old = this.byOrderKey.get(key);
    if (old) this.byId.delete(old.faceId);
    this.byId.set(session.faceId, session);
    this.byOrderKey.set(key, session);
    return { ...session };
  }

  get(faceId: string): FaceSession | undefined {
    const s = this.byId.get(faceId);
    return s && { ...s };
  }

  forOrder(appId: string, orderNo: string): FaceSession | undefined {
    const s = this.byOrderKey.get(this.key(appId, orderNo));
    return s && { ...s };
  }

  private key(appId: string, orderNo: string): string {
    return `${appId}\u0000${orderNo}`;
  }
}
